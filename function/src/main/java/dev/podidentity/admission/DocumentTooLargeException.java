package dev.podidentity.admission;

/**
 * A JSON document would have been longer than its limit, and was not written: see
 * {@link JsonPatchWriter#write(java.util.List, int)}.
 *
 * <pre>{@code
 * try {
 *     byte[] patch = JsonPatchWriter.write(mutation.ops(), 1536 * 1024);
 * } catch (DocumentTooLargeException e) {
 *     e.limit(); // 1572864
 * }
 * }</pre>
 */
public final class DocumentTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int limit;

    public DocumentTooLargeException(int limit) {
        super("the document would be longer than " + limit + " bytes", null, false, false);
        this.limit = limit;
    }

    /** The limit it would have passed, in bytes. */
    public int limit() {
        return limit;
    }
}
