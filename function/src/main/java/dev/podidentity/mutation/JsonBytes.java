package dev.podidentity.mutation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Writes a JSON document into this thread's reusable buffer and returns exactly its bytes: one
 * allocation of the result's size per document, instead of a growing buffer plus a copy.
 *
 * <pre>{@code
 * byte[] json = JsonBytes.write((generator, written) -> {
 *     generator.writeStartObject();
 *     generator.writeStringField("op", "add");
 *     generator.writeEndObject();
 * });
 * }</pre>
 *
 * <p>Every admission writes two documents (the patch, then the answer that carries it); at
 * thousands of admissions per second, the garbage of growing buffers was a third of the
 * allocation. A buffer that grew past {@link #KEEP_AT_MOST} bytes for one big document is not
 * kept, so a rare huge pod does not pin memory on every thread.
 */
public final class JsonBytes {

    /**
     * The largest buffer a thread keeps between documents: the answer to a 60 KB pod of 20
     * containers is 21 KB; at 200 worker threads this bounds what the buffers pin to 13 MB.
     */
    static final int KEEP_AT_MOST = 64 * 1024;

    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final ThreadLocal<Buffer> BUFFERS = ThreadLocal.withInitial(Buffer::new);

    private JsonBytes() {
    }

    /** What writes the document. */
    @FunctionalInterface
    public interface Body {
        /**
         * @param generator writes into the buffer
         * @param written what is in the buffer after {@code generator.flush()}, to reuse a part of it
         */
        void writeTo(JsonGenerator generator, Written written) throws IOException;
    }

    /** The bytes of the document so far that the generator has flushed. */
    public interface Written {
        /** How many bytes are flushed. */
        int size();

        /** A copy of the flushed bytes from {@code from} (inclusive) to {@code to} (exclusive). */
        byte[] copy(int from, int to);
    }

    /** The document the body writes, UTF-8 encoded. */
    public static byte[] write(Body body) {
        Buffer buffer = BUFFERS.get();
        if (buffer.inUse) {
            buffer = new Buffer(); // a document written while writing another: not shared
        }
        buffer.inUse = true;
        try (JsonGenerator generator = JSON.createGenerator(buffer)) {
            body.writeTo(generator, buffer);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        } finally {
            buffer.inUse = false;
        }
        byte[] bytes = Arrays.copyOf(buffer.bytes, buffer.count);
        buffer.reset();
        return bytes;
    }

    /** A growable byte array, emptied after each document. */
    private static final class Buffer extends OutputStream implements Written {
        byte[] bytes = new byte[4096];
        int count;
        boolean inUse;

        @Override
        public void write(int b) {
            ensure(1);
            bytes[count++] = (byte) b;
        }

        @Override
        public void write(byte[] source, int offset, int length) {
            ensure(length);
            System.arraycopy(source, offset, bytes, count, length);
            count += length;
        }

        private void ensure(int more) {
            if (count + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, count + more));
            }
        }

        @Override
        public int size() {
            return count;
        }

        @Override
        public byte[] copy(int from, int to) {
            if (from < 0 || to > count || from > to) {
                throw new IndexOutOfBoundsException("[" + from + ", " + to + ") of " + count + " bytes");
            }
            return Arrays.copyOfRange(bytes, from, to);
        }

        void reset() {
            count = 0;
            if (bytes.length > KEEP_AT_MOST) {
                bytes = new byte[4096];
            }
        }
    }
}
