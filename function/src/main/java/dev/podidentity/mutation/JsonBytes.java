package dev.podidentity.mutation;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * Writes a small JSON document straight as UTF-8 bytes into this thread's reusable buffer and
 * returns exactly its bytes: one allocation of the result's size per document.
 *
 * <pre>{@code
 * static final JsonBytes.Name OP = JsonBytes.Name.of("op");
 *
 * byte[] json = JsonBytes.write(out -> out.startObject().name(OP).string("add").endObject());
 * // {"op":"add"}
 * }</pre>
 *
 * <p>Every admission writes two documents, the patch and the answer that carries it, and both
 * are a few fixed shapes of names and strings. Writing them here instead of through a Jackson
 * generator halves their cost: names are bytes encoded once, the ASCII run of a string is copied
 * as an array, base64 uses the JDK's vectorised encoder, and there is no generator to create per
 * document. Commas are placed by the writer, as a generator places them.
 *
 * <p>Strings are escaped as JSON requires: {@code "}, {@code \} and control characters, and
 * UTF-16 surrogates as {@code \}{@code uXXXX} (as Jackson writes them: a lone surrogate stays a
 * valid document). A buffer that grew past {@link #KEEP_AT_MOST} bytes for one big document is not
 * kept, so a rare huge pod does not pin memory on every thread.
 */
public final class JsonBytes {

    /**
     * The largest buffer a thread keeps between documents: the answer to a 60 KB pod of 20
     * containers is 21 KB; at 200 worker threads this bounds what the buffers pin to 13 MB.
     */
    static final int KEEP_AT_MOST = 64 * 1024;
    private static final int INITIAL = 4096;
    /** Deepest nesting written; the answer and the patch nest at most 7 deep. */
    private static final int MAX_DEPTH = 63;

    private static final ThreadLocal<JsonBytes> WRITERS = ThreadLocal.withInitial(JsonBytes::new);
    private static final Base64.Encoder BASE64 = Base64.getEncoder();
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

    /** What writes the document. */
    @FunctionalInterface
    public interface Body {
        void writeTo(JsonBytes out);
    }

    /** A member name encoded once, {@code "name":}, to write many times. */
    public static final class Name {
        private final byte[] quotedWithColon;

        private Name(byte[] quotedWithColon) {
            this.quotedWithColon = quotedWithColon;
        }

        /** The name, escaped as any string. */
        public static Name of(String name) {
            byte[] encoded = write(out -> out.string(name));
            byte[] withColon = Arrays.copyOf(encoded, encoded.length + 1);
            withColon[encoded.length] = ':';
            return new Name(withColon);
        }
    }

    private byte[] bytes = new byte[INITIAL];
    private int count;
    /** The most bytes the document may have; checked only when the buffer must grow. */
    private int limit = Integer.MAX_VALUE;
    private byte[] base64 = new byte[0];
    private boolean inUse;
    // Per nesting level: whether a value was written at this level (so the next needs a comma).
    private long written;
    private int depth;
    private boolean afterName;

    private JsonBytes() {
    }

    /** The document the body writes, UTF-8 encoded. */
    public static byte[] write(Body body) {
        return write(body, Integer.MAX_VALUE);
    }

    /**
     * The document the body writes, UTF-8 encoded, if it fits in {@code maxBytes}: writing stops
     * as soon as it would not, so a document too large is never held whole.
     *
     * @throws DocumentTooLargeException when the document would be longer than {@code maxBytes}
     */
    public static byte[] write(Body body, int maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, was " + maxBytes);
        }
        JsonBytes out = WRITERS.get();
        if (out.inUse) {
            out = new JsonBytes(); // a document written while writing another: not shared
        }
        out.inUse = true;
        out.limit = maxBytes;
        try {
            if (out.bytes.length > maxBytes) {
                out.bytes = new byte[maxBytes]; // so that growing is where the limit is checked
            }
            body.writeTo(out);
            if (out.depth != 0 || out.afterName) {
                throw new IllegalStateException("incomplete JSON document: " + out.depth + " open");
            }
            return Arrays.copyOf(out.bytes, out.count);
        } finally {
            out.reset();
        }
    }

    public JsonBytes startObject() {
        return open((byte) '{');
    }

    public JsonBytes endObject() {
        return close((byte) '}');
    }

    public JsonBytes startArray() {
        return open((byte) '[');
    }

    public JsonBytes endArray() {
        return close((byte) ']');
    }

    /** The next member's name (a comma first when it is not the first member). */
    public JsonBytes name(Name name) {
        beforeName();
        append(name.quotedWithColon);
        afterName = true;
        return this;
    }

    /** A member name written once, for keys that are data (label or annotation keys). */
    public JsonBytes name(String name) {
        beforeName();
        quoted(name);
        ensure(1);
        bytes[count++] = ':';
        afterName = true;
        return this;
    }

    /** A string, or JSON's {@code null} for a null one. */
    public JsonBytes string(String value) {
        beforeValue();
        if (value == null) {
            append(NULL);
        } else {
            quoted(value);
        }
        return this;
    }

    public JsonBytes number(long value) {
        beforeValue();
        append(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    /** A finite number as Java prints it ({@code 0.41}, {@code 12.0}); JSON has no NaN or infinity. */
    public JsonBytes number(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("JSON has no number " + value);
        }
        beforeValue();
        append(Double.toString(value).getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    public JsonBytes bool(boolean value) {
        beforeValue();
        append(value ? TRUE : FALSE);
        return this;
    }

    /** A byte array as JSON does: a base64 string. */
    public JsonBytes base64(byte[] data) {
        beforeValue();
        int length = 4 * ((data.length + 2) / 3);
        if (base64.length < length) {
            base64 = new byte[length];
        }
        int encoded = BASE64.encode(data, base64);
        ensure(encoded + 2);
        bytes[count++] = '"';
        System.arraycopy(base64, 0, bytes, count, encoded);
        count += encoded;
        bytes[count++] = '"';
        return this;
    }

    /** Bytes written so far: where the next value starts, for {@link #copyOfValue}. */
    public int size() {
        return count;
    }

    /** Writes again, as the next value, the value this document holds in {@code [from, to)}. */
    public JsonBytes copyOfValue(int from, int to) {
        if (from < 0 || to > count || from >= to) {
            throw new IndexOutOfBoundsException("[" + from + ", " + to + ") of " + count + " bytes");
        }
        beforeValue();
        ensure(to - from);
        System.arraycopy(bytes, from, bytes, count, to - from);
        count += to - from;
        return this;
    }

    private JsonBytes open(byte bracket) {
        beforeValue();
        if (depth == MAX_DEPTH) {
            throw new IllegalStateException("nested deeper than " + MAX_DEPTH);
        }
        ensure(1);
        bytes[count++] = bracket;
        depth++;
        written &= ~(1L << depth);
        return this;
    }

    private JsonBytes close(byte bracket) {
        if (depth == 0 || afterName) {
            throw new IllegalStateException(afterName ? "a name needs a value first" : "nothing open to close");
        }
        ensure(1);
        bytes[count++] = bracket;
        depth--;
        return this;
    }

    private void beforeName() {
        if (afterName) {
            throw new IllegalStateException("a name needs a value first");
        }
        separate();
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
        } else {
            separate();
        }
    }

    /** A comma unless this is the first value at this level. */
    private void separate() {
        long bit = 1L << depth;
        if ((written & bit) != 0) {
            ensure(1);
            bytes[count++] = ',';
        }
        written |= bit;
    }

    private void quoted(String value) {
        int length = value.length();
        ensure(length + 2);
        byte[] out = bytes;
        int at = count;
        out[at++] = '"';
        // Most of what the function writes is plain ASCII: find how much, then copy it in one go.
        // Only the ASCII prefix is copied that way: getBytes keeps the low byte of each char,
        // which is that char's UTF-8 encoding below 0x80 and nothing meaningful above.
        int i = 0;
        while (i < length) {
            char c = value.charAt(i);
            if (c >= 0x80 || c < 0x20 || c == '"' || c == '\\') {
                break;
            }
            i++;
        }
        asciiInto(value, i, out, at);
        count = at + i;
        for (; i < length; i++) {
            escaped(value.charAt(i));
        }
        ensure(1);
        bytes[count++] = '"';
    }

    private void escaped(char c) {
        ensure(6);
        byte[] out = bytes;
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\') {
                out[count++] = (byte) c;
            } else {
                out[count++] = '\\';
                switch (c) {
                    case '"' -> out[count++] = '"';
                    case '\\' -> out[count++] = '\\';
                    case '\n' -> out[count++] = 'n';
                    case '\r' -> out[count++] = 'r';
                    case '\t' -> out[count++] = 't';
                    case '\b' -> out[count++] = 'b';
                    case '\f' -> out[count++] = 'f';
                    default -> unicodeEscape(c);
                }
            }
        } else if (c < 0x800) {
            out[count++] = (byte) (0xc0 | (c >> 6));
            out[count++] = (byte) (0x80 | (c & 0x3f));
        } else if (Character.isSurrogate(c)) {
            out[count++] = '\\';
            unicodeEscape(c);
        } else {
            out[count++] = (byte) (0xe0 | (c >> 12));
            out[count++] = (byte) (0x80 | ((c >> 6) & 0x3f));
            out[count++] = (byte) (0x80 | (c & 0x3f));
        }
    }

    /** The first {@code length} chars of the value, all ASCII, as bytes: an array copy for most strings. */
    @SuppressWarnings("deprecation") // the one String method that copies without allocating
    private static void asciiInto(String value, int length, byte[] out, int at) {
        value.getBytes(0, length, out, at);
    }

    /** {@code uXXXX}, after the backslash. */
    private void unicodeEscape(char c) {
        byte[] out = bytes;
        out[count++] = 'u';
        out[count++] = HEX[(c >> 12) & 0xf];
        out[count++] = HEX[(c >> 8) & 0xf];
        out[count++] = HEX[(c >> 4) & 0xf];
        out[count++] = HEX[c & 0xf];
    }

    private void append(byte[] source) {
        ensure(source.length);
        System.arraycopy(source, 0, bytes, count, source.length);
        count += source.length;
    }

    private void ensure(int more) {
        if (count + more > bytes.length) {
            grow(more);
        }
    }

    /** The buffer never grows past the limit, so a full buffer is where the limit is found. */
    private void grow(int more) {
        long needed = (long) count + more;
        if (needed > limit) {
            throw new DocumentTooLargeException(limit);
        }
        bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(bytes.length * 2L, needed)));
    }

    private void reset() {
        count = 0;
        written = 0;
        depth = 0;
        afterName = false;
        inUse = false;
        limit = Integer.MAX_VALUE;
        if (bytes.length > KEEP_AT_MOST) {
            bytes = new byte[INITIAL];
        }
        if (base64.length > KEEP_AT_MOST) {
            base64 = new byte[0];
        }
    }
}
