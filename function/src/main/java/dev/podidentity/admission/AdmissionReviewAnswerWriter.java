package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonGenerator;


import java.io.IOException;

/**
 * Writes an {@link AdmissionReviewAnswer} field by field: what Jackson would write for the
 * records, without introspecting them on every answer. Used for every answer.
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
public final class AdmissionReviewAnswerWriter {

    private AdmissionReviewAnswerWriter() {
    }

    /** The answer as the body of the HTTP response. */
    public static byte[] toBytes(AdmissionReviewAnswer answer) {
        return JsonDocument.write(json -> write(answer, json));
    }

    private static void write(AdmissionReviewAnswer answer, JsonGenerator json) throws IOException {
        json.writeStartObject();
        writeIfPresent(json, "apiVersion", answer.apiVersion());
        writeIfPresent(json, "kind", answer.kind());
        AdmissionReviewAnswer.Response response = answer.response();
        if (response != null) {
            json.writeObjectFieldStart("response");
            writeIfPresent(json, "uid", response.uid());
            json.writeBooleanField("allowed", response.allowed());
            writeIfPresent(json, "patchType", response.patchType());
            if (response.patch() != null && response.patch().length > 0) {
                json.writeFieldName("patch");
                json.writeBinary(response.patch());
            }
            if (response.warnings() != null && !response.warnings().isEmpty()) {
                json.writeArrayFieldStart("warnings");
                for (String warning : response.warnings()) {
                    json.writeString(warning);
                }
                json.writeEndArray();
            }
            if (response.status() != null) {
                json.writeObjectFieldStart("status");
                json.writeNumberField("code", response.status().code());
                json.writeStringField("message", response.status().message());
                json.writeEndObject();
            }
            json.writeEndObject();
        }
        json.writeEndObject();
    }

    private static void writeIfPresent(JsonGenerator json, String field, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            json.writeStringField(field, value);
        }
    }
}
