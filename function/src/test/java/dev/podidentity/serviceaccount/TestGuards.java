package dev.podidentity.serviceaccount;

/**
 * {@link ApiGuard}s as the tests build them: the bulkhead of the default
 * {@code pod-identity.lookup.max-concurrent} and {@code .max-queued}, and no listener.
 *
 * <pre>{@code
 * ApiGuard guard = TestGuards.of("test", LookupSettings.defaults());
 * }</pre>
 */
public final class TestGuards {

    private TestGuards() {
    }

    public static ApiGuard of(String cluster, LookupSettings settings) {
        return new ApiGuard(cluster, settings, LookupBulkhead.of(16, 64, settings.budget()), LookupListener.NONE);
    }
}
