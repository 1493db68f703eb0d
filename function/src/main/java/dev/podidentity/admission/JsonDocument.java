package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Writes a small JSON document with a Jackson generator into this thread's reusable buffer and
 * returns exactly its bytes: one allocation of the result's size per document, besides the
 * generator's own small objects.
 *
 * <pre>{@code
 * byte[] json = JsonDocument.write(generator -> {
 *     generator.writeStartObject();
 *     generator.writeStringField("op", "add");
 *     generator.writeEndObject();
 * });
 * // {"op":"add"}
 * }</pre>
 *
 * <p>Every admission writes two documents, the patch and the answer that carries it, and a
 * decision line. A buffer that grew past {@link #KEEP_AT_MOST} bytes for one big document is not
 * kept, so a rare huge pod does not pin memory on every thread. {@code \}{@code uXXXX} escapes
 * (control characters, surrogates) are written in lower case. Why a generator and not bytes
 * written by hand: benchmarks/README.md, "JsonBytes or Jackson".
 */
public final class JsonDocument {

    /**
     * The largest buffer a thread keeps between documents: more than the answer to the largest
     * benchmark fixture (benchmarks/README.md, "Fixtures"), and few enough bytes per worker thread
     * that all of them together pin little.
     */
    static final int KEEP_AT_MOST = 64 * 1024;
    private static final int INITIAL = 4096;

    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .build();
    private static final ThreadLocal<Buffer> BUFFERS = ThreadLocal.withInitial(Buffer::new);

    private JsonDocument() {
    }

    /** What writes the document. */
    @FunctionalInterface
    public interface Body {
        void writeTo(JsonGenerator json) throws IOException;
    }

    /** The document the body writes, UTF-8 encoded. */
    public static byte[] write(Body body) {
        return write(body, Integer.MAX_VALUE);
    }

    /**
     * The document the body writes, UTF-8 encoded, if it fits in {@code maxBytes}: writing stops
     * once it would not (give or take the generator's own buffer of a few KB), so a document too
     * large is never held whole.
     *
     * @throws DocumentTooLargeException when the document would be longer than {@code maxBytes}
     */
    public static byte[] write(Body body, int maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, was " + maxBytes);
        }
        Buffer buffer = BUFFERS.get();
        if (buffer.inUse) {
            buffer = new Buffer(); // a document written while writing another: not shared
        }
        buffer.inUse = true;
        buffer.limit = maxBytes;
        try {
            try (JsonGenerator json = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
                body.writeTo(json);
            }
            return Arrays.copyOf(buffer.bytes, buffer.count);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        } finally {
            buffer.reset();
        }
    }

    /** A growable byte array that refuses to grow past its limit. */
    private static final class Buffer extends OutputStream {
        private byte[] bytes = new byte[INITIAL];
        private int count;
        private int limit;
        private boolean inUse;

        @Override
        public void write(int b) {
            ensure(1);
            bytes[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, count, len);
            count += len;
        }

        private void ensure(int more) {
            long needed = (long) count + more;
            if (needed > limit) {
                throw new DocumentTooLargeException(limit);
            }
            if (needed > bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(bytes.length * 2L, needed)));
            }
        }

        private void reset() {
            count = 0;
            inUse = false;
            if (bytes.length > KEEP_AT_MOST) {
                bytes = new byte[INITIAL];
            }
        }
    }
}
