package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonGenerator;

import dev.podidentity.mutation.PatchOp;
import dev.podidentity.mutation.PatchValue;
import dev.podidentity.identity.TokenProjection;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Writes patch operations as an RFC 6902 JSON Patch document, with a Jackson generator into a
 * byte stream that refuses to grow past the patch limit.
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
     * @throws DocumentTooLargeException as soon as it would not (give or take the generator's own
     *         buffer of a few KB): a patch too large is never held whole
     */
    public static byte[] write(List<PatchOp> ops, int maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, was " + maxBytes);
        }
        LimitedBytes out = new LimitedBytes(maxBytes);
        try (JsonGenerator json = AdmissionJson.WRITER.createGenerator(out)) {
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
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    /** Writes the value as the next value of the document. */
    private static void write(PatchValue value, JsonGenerator json) throws IOException {
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

    /** Bytes in memory, refused past the limit. */
    private static final class LimitedBytes extends ByteArrayOutputStream {
        private final int limit;

        LimitedBytes(int limit) {
            this.limit = limit;
        }

        @Override
        public void write(int b) {
            if (count >= limit) {
                throw new DocumentTooLargeException(limit);
            }
            super.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (len > limit - count) {
                throw new DocumentTooLargeException(limit);
            }
            super.write(b, off, len);
        }
    }
}
