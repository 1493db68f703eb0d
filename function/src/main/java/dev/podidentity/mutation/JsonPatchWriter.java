package dev.podidentity.mutation;

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

    private JsonPatchWriter() {
    }

    /** The JSON Patch document, UTF-8 encoded. */
    public static byte[] write(List<PatchOp> ops) {
        return write(ops, Integer.MAX_VALUE);
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
                op.value().write(json);
                json.writeEndObject();
            }
            json.writeEndArray();
        }, maxBytes);
    }
}
