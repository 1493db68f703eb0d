package dev.podidentity.admission;

/**
 * The admission request's object cannot be read as a Pod; the message says which field is wrong
 * and is shown to the user who created the pod.
 *
 * <pre>{@code
 * try {
 *     PodViewReader.read(parser);
 * } catch (UnreadablePodException e) {
 *     String why = e.getMessage(); // "spec.containers[1].env must be an array, was a string"
 * }
 * }</pre>
 */
public final class UnreadablePodException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a request without an object has no pod to mutate. */
    public static final String MISSING_OBJECT = "request.object is missing: there is no pod to mutate";

    public UnreadablePodException(String message) {
        super(message);
    }
}
