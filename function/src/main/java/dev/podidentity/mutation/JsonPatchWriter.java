package dev.podidentity.mutation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Writes patch operations as an RFC 6902 JSON Patch document.
 *
 * <pre>{@code
 * byte[] patch = JsonPatchWriter.write(mutation.ops());
 * // [{"op":"add","path":"/spec/volumes/-","value":{...}}, ...]
 * }</pre>
 */
public final class JsonPatchWriter {

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private JsonPatchWriter() {
    }

    /** The JSON Patch document, UTF-8 encoded. */
    public static byte[] write(List<PatchOp> ops) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + 160 * ops.size());
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartArray();
            for (PatchOp op : ops) {
                json.writeStartObject();
                json.writeStringField("op", "add");
                json.writeStringField("path", op.path());
                json.writeFieldName("value");
                op.value().write(json);
                json.writeEndObject();
            }
            json.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }
}
