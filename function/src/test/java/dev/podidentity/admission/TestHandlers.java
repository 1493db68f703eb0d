package dev.podidentity.admission;

import dev.podidentity.identity.IdentityResolver;

import java.util.function.Consumer;

/**
 * {@link AdmissionHandler}s as the tests build them: the default limits, and room for any patch.
 *
 * <pre>{@code
 * AdmissionHandler handler = TestHandlers.logging("test", resolver); // decision lines to the log
 * AdmissionHandler quiet = TestHandlers.of("test", resolver, decisions::add);
 * }</pre>
 */
public final class TestHandlers {

    private TestHandlers() {
    }

    /** A handler that logs its decisions with {@link DecisionLog}, as a served cluster's does. */
    public static AdmissionHandler logging(String cluster, IdentityResolver resolver) {
        return of(cluster, resolver, new DecisionLog());
    }

    /** A handler that tells {@code decisions} about every decision. */
    public static AdmissionHandler of(String cluster, IdentityResolver resolver, Consumer<Decision> decisions) {
        return new AdmissionHandler(cluster, resolver, decisions, AnswerLimits.defaults(), InFlightBytes.of(1L << 40));
    }
}
