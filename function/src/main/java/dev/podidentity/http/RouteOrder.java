package dev.podidentity.http;

/**
 * The order of the function's routes among Vert.x's (lower first), named so that the path of one
 * admission reads in order: the gate finds the cluster, authenticates its caller and reserves room
 * for it; then the body is read; then the admission is answered. Funqy's route for {@code /mutate}
 * comes after all of them.
 *
 * <pre>{@code
 * int gate = RouteOrder.ADMISSION_GATE;   // first: cluster, caller, room
 * int answer = RouteOrder.ADMISSION_ANSWER; // after the body was read
 * }</pre>
 */
final class RouteOrder {

    /**
     * Cluster, caller, room: before any body is read. Quarkus reads the body of every request in a
     * route of its own at {@code Integer.MIN_VALUE + 1}, so the gate comes first of all.
     */
    static final int ADMISSION_GATE = Integer.MIN_VALUE;
    /** The body of a {@code /clusters/<id>/mutate} request, read once the gate let it in (if Quarkus has not). */
    static final int ADMISSION_BODY = -111;
    /** The answer of a {@code /clusters/<id>/mutate} request. */
    static final int ADMISSION_ANSWER = -110;
    /** {@code /mutate/} (a trailing slash) answered here; {@code /mutate} passed on to Funqy. */
    static final int MUTATE = -100;

    private RouteOrder() {
    }
}
