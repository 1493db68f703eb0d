package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;

/**
 * Writes an {@link AdmissionReviewAnswer} as a Jackson tree, with {@link AdmissionJson#WRITER}.
 * Used for every answer. A tree and not the records bound by Jackson: binding introspects the
 * records on the first answer after a scale from zero, on its path.
 *
 * <pre>{@code
 * byte[] body = AdmissionReviewAnswerWriter.toBytes(answer);
 * // {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"…","allowed":true,
 * //  "patchType":"JSONPatch","patch":"W3sib3AiOiJhZGQi…"}}
 * }</pre>
 *
 * <p>Absent and empty values are left out ({@code uid}, {@code patchType}, {@code patch},
 * {@code warnings}, {@code status}); {@code allowed} is always written; {@code patch} is base64, as
 * the API server expects a byte array in JSON.
 */
public final class AdmissionReviewAnswerWriter {

    private AdmissionReviewAnswerWriter() {
    }

    /** The answer as the body of the HTTP response. */
    public static byte[] toBytes(AdmissionReviewAnswer answer) {
        ObjectNode json = AdmissionJson.WRITER.createObjectNode();
        putIfPresent(json, "apiVersion", answer.apiVersion());
        putIfPresent(json, "kind", answer.kind());
        AdmissionReviewAnswer.Response response = answer.response();
        if (response != null) {
            ObjectNode written = json.putObject("response");
            putIfPresent(written, "uid", response.uid());
            written.put("allowed", response.allowed());
            putIfPresent(written, "patchType", response.patchType());
            if (response.patch() != null && response.patch().length > 0) {
                written.put("patch", response.patch());
            }
            if (response.warnings() != null && !response.warnings().isEmpty()) {
                response.warnings().forEach(written.putArray("warnings")::add);
            }
            if (response.status() != null) {
                written.putObject("status").put("code", response.status().code())
                        .put("message", response.status().message());
            }
        }
        try {
            return AdmissionJson.WRITER.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("writing a tree to memory cannot fail", e);
        }
    }

    private static void putIfPresent(ObjectNode json, String field, String value) {
        if (value != null && !value.isEmpty()) {
            json.put(field, value);
        }
    }
}
