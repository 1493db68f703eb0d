package dev.podidentity.http;

/**
 * The order of the function's routes among Vert.x's (lower first), named so that the path of one
 * admission reads in order: the gate finds the cluster, authenticates its caller and reserves room
 * for it; then the body is read; then the admission is answered.
 *
 * <pre>{@code
 * int gate = RouteOrder.ADMISSION_GATE;   // first: cluster, caller, room
 * int answer = RouteOrder.ADMISSION_ANSWER; // after the body was read
 * }</pre>
 */
final class RouteOrder {

    /**
     * Cluster, caller, room: before any body is read, and before any route an extension may add
     * that reads one (Quarkus orders a body handler at {@code Integer.MIN_VALUE + 1}).
     */
    static final int ADMISSION_GATE = Integer.MIN_VALUE;
    /** The body, read once the gate let the request in. */
    static final int ADMISSION_BODY = -111;
    /** The answer. */
    static final int ADMISSION_ANSWER = -110;

    private RouteOrder() {
    }
}
