package dev.podidentity.mutation;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
        return JsonBytes.write((json, written) -> {
            RepeatedValues repeated = new RepeatedValues(json, written, ops);
            json.writeStartArray();
            for (PatchOp op : ops) {
                json.writeStartObject();
                json.writeFieldName(PatchNames.OP);
                json.writeString(PatchNames.ADD);
                json.writeFieldName(PatchNames.PATH);
                json.writeString(op.path());
                json.writeFieldName(PatchNames.VALUE);
                repeated.write(op.value());
                json.writeEndObject();
            }
            json.writeEndArray();
        });
    }

    /**
     * Every selected container gets the same env vars and mount, so most values of a patch are
     * repeats: where such a value was first written is remembered, and its encoded bytes are copied
     * from there for every repeat instead of encoding it again. A pod with one container pays a
     * few comparisons.
     */
    private static final class RepeatedValues {
        private static final int REMEMBERED = 8; // more distinct values than any mutation emits

        private final JsonGenerator json;
        private final JsonBytes.Written written;
        private final PatchValue[] values = new PatchValue[REMEMBERED];
        private final int[] occurrences = new int[REMEMBERED];
        private final int[] starts = new int[REMEMBERED];
        private final int[] ends = new int[REMEMBERED];
        private final RawJson[] encoded = new RawJson[REMEMBERED]; // copied on the first repeat
        private int size;

        /** Counts each distinct value first, so that only the ones that repeat are tracked. */
        RepeatedValues(JsonGenerator json, JsonBytes.Written written, List<PatchOp> ops) {
            this.json = json;
            this.written = written;
            for (PatchOp op : ops) {
                int i = indexOf(op.value());
                if (i >= 0) {
                    occurrences[i]++;
                } else if (size < REMEMBERED) {
                    values[size] = op.value();
                    occurrences[size++] = 1;
                }
            }
        }

        private int indexOf(PatchValue value) {
            for (int i = 0; i < size; i++) {
                if (values[i].equals(value)) {
                    return i;
                }
            }
            return -1;
        }

        void write(PatchValue value) throws IOException {
            int i = indexOf(value);
            if (i < 0 || occurrences[i] == 1) {
                value.write(json);
            } else if (encoded[i] != null) {
                json.writeRawValue(encoded[i]);
            } else if (ends[i] > 0) {
                byte[] bytes = written.copy(starts[i], ends[i]);
                // The generator writes the ':' after a field name as part of the value.
                encoded[i] = new RawJson(bytes, bytes.length > 0 && bytes[0] == ':' ? 1 : 0);
                json.writeRawValue(encoded[i]);
            } else {
                json.flush();
                starts[i] = written.size();
                value.write(json);
                json.flush();
                ends[i] = written.size();
            }
        }
    }

    /** JSON text already encoded as UTF-8, written as it is by {@link JsonGenerator#writeRawValue}. */
    private static final class RawJson implements SerializableString {
        private final byte[] bytes;
        private final int offset;
        private SerializedString text; // only if a generator asks for characters (not the UTF-8 one)

        RawJson(byte[] bytes, int offset) {
            this.bytes = bytes;
            this.offset = offset;
        }

        private int length() {
            return bytes.length - offset;
        }

        private SerializedString text() {
            if (text == null) {
                text = new SerializedString(getValue());
            }
            return text;
        }

        @Override
        public String getValue() {
            return new String(bytes, offset, length(), StandardCharsets.UTF_8);
        }

        @Override
        public int appendUnquotedUTF8(byte[] buffer, int at) {
            if (at + length() > buffer.length) {
                return -1;
            }
            System.arraycopy(bytes, offset, buffer, at, length());
            return length();
        }

        @Override
        public byte[] asUnquotedUTF8() {
            return java.util.Arrays.copyOfRange(bytes, offset, bytes.length);
        }

        @Override
        public int writeUnquotedUTF8(OutputStream out) throws IOException {
            out.write(bytes, offset, length());
            return length();
        }

        @Override
        public int putUnquotedUTF8(ByteBuffer buffer) {
            if (buffer.remaining() < length()) {
                return -1;
            }
            buffer.put(bytes, offset, length());
            return length();
        }

        @Override
        public int charLength() {
            return text().charLength();
        }

        @Override
        public char[] asQuotedChars() {
            return text().asQuotedChars();
        }

        @Override
        public byte[] asQuotedUTF8() {
            return text().asQuotedUTF8();
        }

        @Override
        public int appendQuotedUTF8(byte[] buffer, int at) {
            return text().appendQuotedUTF8(buffer, at);
        }

        @Override
        public int appendQuoted(char[] buffer, int at) {
            return text().appendQuoted(buffer, at);
        }

        @Override
        public int appendUnquoted(char[] buffer, int at) {
            return text().appendUnquoted(buffer, at);
        }

        @Override
        public int writeQuotedUTF8(OutputStream out) throws IOException {
            return text().writeQuotedUTF8(out);
        }

        @Override
        public int putQuotedUTF8(ByteBuffer buffer) throws IOException {
            return text().putQuotedUTF8(buffer);
        }
    }
}
