package dev.podidentity.serviceaccount;

import java.time.Duration;

/** Lookup settings for tests against a stand-in API server, with only the limits a test is about set short. */
public final class TestLookupSettings {

    /** Limits no machine comes near: only the faults of the API server decide, however busy the machine. */
    public static final LookupSettings UNHURRIED = of(Duration.ofSeconds(30), Duration.ofSeconds(60),
            Duration.ofMinutes(5));

    private TestLookupSettings() {
    }

    /** Two retries 20 ms apart, a fresh-for-1 s cache, a breaker over 4 calls; the three limits given. */
    public static LookupSettings of(Duration requestTimeout, Duration budget, Duration breakerDelay) {
        return new LookupSettings(requestTimeout, 2, Duration.ofMillis(20), Duration.ofMillis(10), budget,
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(10), 100, 4, 0.5, breakerDelay);
    }
}
