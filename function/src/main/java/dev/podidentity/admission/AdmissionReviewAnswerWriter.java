package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonGeneratorImpl;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import dev.podidentity.mutation.JsonBytes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes an {@link AdmissionReviewAnswer} field by field: what Jackson would write for the
 * records, without introspecting them on every answer. Used for every answer, directly by
 * {@link #toBytes} and by Funqy through Jackson (the record is annotated with it).
 *
 * <pre>{@code
 * byte[] body = AdmissionReviewAnswerWriter.toBytes(answer);
 * // {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"…","allowed":true,
 * //  "patchType":"JSONPatch","patch":"W3sib3AiOiJhZGQi…"}}
 * }</pre>
 *
 * <p>Absent values are left out ({@code uid}, {@code patchType}, {@code patch}, {@code warnings}
 * when empty, {@code status}); {@code allowed} is always written; {@code patch} is base64, as
 * the API server expects a byte array in JSON.
 */
public final class AdmissionReviewAnswerWriter extends StdSerializer<AdmissionReviewAnswer> {
    private static final long serialVersionUID = 1L;

    private static final JsonBytes.Name API_VERSION = JsonBytes.Name.of("apiVersion");
    private static final JsonBytes.Name KIND = JsonBytes.Name.of("kind");
    private static final JsonBytes.Name RESPONSE = JsonBytes.Name.of("response");
    private static final JsonBytes.Name UID = JsonBytes.Name.of("uid");
    private static final JsonBytes.Name ALLOWED = JsonBytes.Name.of("allowed");
    private static final JsonBytes.Name PATCH_TYPE = JsonBytes.Name.of("patchType");
    private static final JsonBytes.Name PATCH = JsonBytes.Name.of("patch");
    private static final JsonBytes.Name WARNINGS = JsonBytes.Name.of("warnings");
    private static final JsonBytes.Name STATUS = JsonBytes.Name.of("status");
    private static final JsonBytes.Name CODE = JsonBytes.Name.of("code");
    private static final JsonBytes.Name MESSAGE = JsonBytes.Name.of("message");

    private static final JsonFactory TOKENS = JsonFactory.builder().build();

    public AdmissionReviewAnswerWriter() {
        super(AdmissionReviewAnswer.class);
    }

    /** The answer as the body of the HTTP response. */
    public static byte[] toBytes(AdmissionReviewAnswer answer) {
        return JsonBytes.write(out -> write(answer, out));
    }

    /**
     * Funqy's way: the same bytes, handed as they are to a generator that writes JSON text, or as
     * tokens to any other (a token buffer, a tree).
     */
    @Override
    public void serialize(AdmissionReviewAnswer answer, JsonGenerator json, SerializerProvider provider)
            throws IOException {
        byte[] bytes = toBytes(answer);
        if (json instanceof JsonGeneratorImpl) {
            json.writeRawValue(new String(bytes, StandardCharsets.UTF_8));
            return;
        }
        try (JsonParser tokens = TOKENS.createParser(bytes)) {
            tokens.nextToken();
            json.copyCurrentStructure(tokens);
        }
    }

    private static void write(AdmissionReviewAnswer answer, JsonBytes out) {
        out.startObject();
        writeIfPresent(out, API_VERSION, answer.apiVersion());
        writeIfPresent(out, KIND, answer.kind());
        AdmissionReviewAnswer.Response response = answer.response();
        if (response != null) {
            out.name(RESPONSE).startObject();
            writeIfPresent(out, UID, response.uid());
            out.name(ALLOWED).bool(response.allowed());
            writeIfPresent(out, PATCH_TYPE, response.patchType());
            if (response.patch() != null && response.patch().length > 0) {
                out.name(PATCH).base64(response.patch());
            }
            if (response.warnings() != null && !response.warnings().isEmpty()) {
                out.name(WARNINGS).startArray();
                for (String warning : response.warnings()) {
                    out.string(warning);
                }
                out.endArray();
            }
            if (response.status() != null) {
                out.name(STATUS).startObject()
                        .name(CODE).number(response.status().code())
                        .name(MESSAGE).string(response.status().message())
                        .endObject();
            }
            out.endObject();
        }
        out.endObject();
    }

    private static void writeIfPresent(JsonBytes out, JsonBytes.Name field, String value) {
        if (value != null && !value.isEmpty()) {
            out.name(field).string(value);
        }
    }
}
