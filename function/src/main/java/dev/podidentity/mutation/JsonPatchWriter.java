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
        return JsonBytes.write(json -> {
            json.writeStartArray();
            for (PatchOp op : ops) {
                json.writeStartObject();
                json.writeFieldName(PatchNames.OP);
                json.writeString(PatchNames.ADD);
                json.writeFieldName(PatchNames.PATH);
                json.writeString(op.path());
                json.writeFieldName(PatchNames.VALUE);
                op.value().write(json);
                json.writeEndObject();
            }
            json.writeEndArray();
        });
    }
}
