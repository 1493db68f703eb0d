package dev.podidentity.admission;

import dev.podidentity.config.PodIdentityConfig;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The one {@link InFlightBytes} of the process, sized by {@code pod-identity.limits.max-in-flight-bytes}
 * and, every few seconds, limited to what the heap has room for ({@link HeapRoom}).
 *
 * <pre>{@code
 * @Inject InFlightBytes inFlight;
 * }</pre>
 */
@ApplicationScoped
public class InFlightBytesProducer {

    /** How often the heap's room is read: a generation fills over many collections, not in one. */
    static final Duration HEAP_CHECK = Duration.ofSeconds(5);

    private final ScheduledExecutorService heapChecks = Executors.newSingleThreadScheduledExecutor(
            Thread.ofVirtual().name("heap-room").factory());

    @Produces
    @Singleton
    InFlightBytes inFlightBytes(PodIdentityConfig config) {
        InFlightBytes inFlight = InFlightBytes.of(config.limits().maxInFlightBytes().asLongValue(),
                config.limits().maxInFlightBytesPerCluster().asLongValue());
        HeapRoom[] room = {null};
        heapChecks.scheduleWithFixedDelay(() -> {
            if (room[0] == null) {
                room[0] = HeapRoom.of(inFlight);
            }
            room[0].check();
        }, HEAP_CHECK.toMillis(), HEAP_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        return inFlight;
    }

    @PreDestroy
    void stop() {
        heapChecks.shutdownNow();
    }
}
