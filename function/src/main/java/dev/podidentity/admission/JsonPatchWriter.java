package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonGenerator;

import dev.podidentity.mutation.PatchOp;
import dev.podidentity.mutation.PatchValue;
import dev.podidentity.identity.TokenProjection;

import java.io.IOException;
import java.util.List;

/**
 * Writes patch operations as an RFC 6902 JSON Patch document.
 *
 * <pre>{@code
 * byte[] patch = JsonPatchWriter.write(mutation.ops(), 1536 * 1024);
 * // [{"op":"add","path":"/spec/volumes/-","value":{...}}, ...]
 * }</pre>
 */
public final class JsonPatchWriter {

    private JsonPatchWriter() {
    }

    /**
     * The JSON Patch document, UTF-8 encoded, if it fits in {@code maxBytes}.
     *
     * @throws DocumentTooLargeException as soon as it would not: a patch too large is never held whole
     */
    public static byte[] write(List<PatchOp> ops, int maxBytes) {
        return JsonDocument.write(json -> {
            json.writeStartArray();
            for (PatchOp op : ops) {
                json.writeStartObject();
                json.writeStringField("op", "add");
                json.writeStringField("path", op.path());
                json.writeFieldName("value");
                write(op.value(), json);
                json.writeEndObject();
            }
            json.writeEndArray();
        }, maxBytes);
    }

    /** Writes the value as the next value of the document. */
    static void write(PatchValue value, JsonGenerator json) throws IOException {
        switch (value) {
            case PatchValue.EnvVar env -> {
                json.writeStartObject();
                json.writeStringField("name", env.name());
                json.writeStringField("value", env.value());
                json.writeEndObject();
            }
            case PatchValue.FieldRefEnvVar env -> {
                json.writeStartObject();
                json.writeStringField("name", env.name());
                json.writeObjectFieldStart("valueFrom");
                json.writeObjectFieldStart("fieldRef");
                json.writeStringField("fieldPath", env.fieldPath());
                json.writeEndObject();
                json.writeEndObject();
                json.writeEndObject();
            }
            case PatchValue.VolumeMount mount -> {
                json.writeStartObject();
                json.writeStringField("name", mount.name());
                json.writeStringField("mountPath", mount.mountPath());
                json.writeBooleanField("readOnly", true);
                json.writeEndObject();
            }
            case PatchValue.TokenVolume volume -> {
                TokenProjection token = volume.token();
                json.writeStartObject();
                json.writeStringField("name", token.volumeName());
                json.writeObjectFieldStart("projected");
                json.writeArrayFieldStart("sources");
                json.writeStartObject();
                json.writeObjectFieldStart("serviceAccountToken");
                json.writeStringField("audience", token.audience());
                json.writeNumberField("expirationSeconds", token.expirationSeconds());
                json.writeStringField("path", token.tokenPath());
                json.writeEndObject();
                json.writeEndObject();
                json.writeEndArray();
                json.writeEndObject();
                json.writeEndObject();
            }
            case PatchValue.Text text -> json.writeString(text.value());
            case PatchValue.Array array -> {
                json.writeStartArray();
                for (PatchValue item : array.items()) {
                    write(item, json);
                }
                json.writeEndArray();
            }
            case PatchValue.Member member -> {
                json.writeStartObject();
                json.writeFieldName(member.key());
                write(member.value(), json);
                json.writeEndObject();
            }
        }
    }
}
