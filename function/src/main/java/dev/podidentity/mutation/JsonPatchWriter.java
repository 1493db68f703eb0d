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
        return JsonBytes.write(out -> {
            RepeatedValues repeated = new RepeatedValues(ops);
            out.startArray();
            for (int i = 0; i < ops.size(); i++) {
                PatchOp op = ops.get(i);
                out.startObject().name(PatchNames.OP).string("add").name(PatchNames.PATH).string(op.path())
                        .name(PatchNames.VALUE);
                repeated.write(i, op.value(), out);
                out.endObject();
            }
            out.endArray();
        }, maxBytes);
    }

    /**
     * Every selected container gets the same env vars and mount, so most values of a patch are
     * repeats: where such a value was first written is remembered, and its bytes are copied from
     * there for every repeat instead of encoding it again. A pod with one container pays a few
     * comparisons.
     */
    private static final class RepeatedValues {
        private static final int REMEMBERED = 8; // more distinct values than any mutation emits

        private final PatchValue[] values = new PatchValue[REMEMBERED];
        private final int[] occurrences = new int[REMEMBERED];
        private final int[] starts = new int[REMEMBERED];
        private final int[] ends = new int[REMEMBERED];
        /** Per operation, the index of its value in {@link #values}, or -1 when not remembered. */
        private final int[] slots;
        private int size;

        /** Counts each distinct value first, so that only the ones that repeat are tracked. */
        RepeatedValues(List<PatchOp> ops) {
            slots = new int[ops.size()];
            for (int op = 0; op < slots.length; op++) {
                PatchValue value = ops.get(op).value();
                int i = indexOf(value);
                if (i >= 0) {
                    occurrences[i]++;
                } else if (size < REMEMBERED) {
                    i = size++;
                    values[i] = value;
                    occurrences[i] = 1;
                }
                slots[op] = i;
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

        /** Writes the value of the operation at that position. */
        void write(int op, PatchValue value, JsonBytes out) {
            int i = slots[op];
            if (i < 0 || occurrences[i] == 1) {
                value.write(out);
            } else if (ends[i] > 0) {
                out.copyOfValue(starts[i], ends[i]);
            } else {
                starts[i] = out.size(); // right after the member name: the value's first byte
                value.write(out);
                ends[i] = out.size();
            }
        }
    }
}
