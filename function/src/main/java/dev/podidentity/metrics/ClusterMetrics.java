package dev.podidentity.metrics;

import dev.podidentity.admission.Decision;
import dev.podidentity.serviceaccount.LookupListener;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The Prometheus metrics of one cluster (docs/contract.md#metrics), every one labelled
 * {@code cluster}: admissions by outcome and mode, admission latency, ServiceAccount cache
 * hits/misses/stale answers, API call latency and failures, the circuit breaker's state, and work
 * shed under overload. Get one from {@link Metrics}.
 *
 * <pre>{@code
 * ClusterMetrics clusterMetrics = metrics.cluster("prod-eu");
 * clusterMetrics.accept(decision); // counts and times one admission
 * }</pre>
 */
public final class ClusterMetrics implements LookupListener, Consumer<Decision> {

    /** The name of the admissions counter, registered with the first decision of each outcome and mode. */
    public static final String ADMISSIONS = "pod_identity_admissions";

    /** Fine where a warm admission lands; coarse up to the webhook timeout. */
    static final Duration[] LATENCY_BUCKETS = {Duration.ofNanos(250_000), Duration.ofNanos(500_000),
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(3), Duration.ofMillis(5), Duration.ofMillis(7),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
        Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final String cluster;
    private final MeterRegistry registry;
    private final Timer admissionLatency;
    private final Counter hits;
    private final Counter misses;
    private final Counter stale;
    private final Timer apiSucceeded;
    private final Timer apiFailed;
    private final AtomicInteger breaker = new AtomicInteger();
    private final AtomicInteger broken = new AtomicInteger();
    private final Counter callersRefused;
    /** Every meter this cluster registered, so that they go with it without a scan of the registry. */
    private final Set<Meter> meters = ConcurrentHashMap.newKeySet();

    ClusterMetrics(String cluster, MeterRegistry registry) {
        this.cluster = cluster;
        this.registry = registry;
        Tags tags = Tags.of("cluster", cluster);
        admissionLatency = kept(Timer.builder("pod_identity_admission_duration")
                .description("Time to answer one admission").tags(tags).serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry));
        hits = cache("hit");
        misses = cache("miss");
        stale = cache("stale");
        apiSucceeded = api("success");
        apiFailed = api("failure");
        kept(Gauge.builder("pod_identity_circuit_breaker_state", breaker, AtomicInteger::get).tags(tags)
                .register(registry));
        kept(Gauge.builder("pod_identity_cluster_broken", broken, AtomicInteger::get).tags(tags).register(registry));
        callersRefused = kept(Counter.builder("pod_identity_callers_refused")
                .description("Requests refused 401: the caller did not present the cluster's credentials")
                .tags(tags).register(registry));
    }

    private <M extends Meter> M kept(M meter) {
        meters.add(meter);
        return meter;
    }

    /** A caller that did not present the cluster's credentials was refused. */
    public void callerRefused() {
        callersRefused.increment();
    }

    /** Whether the cluster's registration (properties or Secret) can be served as it is now. */
    public void registered(boolean usable) {
        broken.set(usable ? 0 : 1);
    }

    /** Removes every meter of this cluster from the registry. */
    void remove() {
        meters.forEach(registry::remove);
        meters.clear();
    }

    /** Counts and times one admission. */
    @Override
    public void accept(Decision decision) {
        kept(registry.counter(ADMISSIONS, "cluster", cluster, "outcome", decision.outcome().label(),
                "mode", decision.mode())).increment();
        admissionLatency.record(decision.durationNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void cacheHit() {
        hits.increment();
    }

    @Override
    public void cacheMiss() {
        misses.increment();
    }

    @Override
    public void staleServed() {
        stale.increment();
    }

    @Override
    public void apiCall(long nanos, boolean succeeded) {
        (succeeded ? apiSucceeded : apiFailed).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Work refused to stay inside the heap and the threads: {@code admission} (answered 429 before
     * its body was read) or {@code lookup} (an API call not made because the cluster's lookups in
     * flight were at their limit). A large patch not written is a decision ("busy"), not counted here.
     */
    public void shed(String stage) {
        kept(registry.counter("pod_identity_shed", "cluster", cluster, "stage", stage)).increment();
    }

    @Override
    public void lookupShed() {
        shed("lookup");
    }

    /** 0 closed, 1 half-open, 2 open. */
    @Override
    public void breakerState(CircuitBreakerState state) {
        breaker.set(switch (state) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
        });
    }

    private Counter cache(String result) {
        return kept(Counter.builder("pod_identity_serviceaccount_cache").description("ServiceAccount cache answers")
                .tags("cluster", cluster, "result", result).register(registry));
    }

    private Timer api(String result) {
        return kept(Timer.builder("pod_identity_api_lookup_duration").description("API server lookups, retries included")
                .tags("cluster", cluster, "result", result).serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
    }
}
