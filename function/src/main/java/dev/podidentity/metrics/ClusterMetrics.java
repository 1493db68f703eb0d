package dev.podidentity.metrics;

import dev.podidentity.admission.Decision;
import dev.podidentity.serviceaccount.LookupListener;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

import java.time.Duration;
import java.util.List;
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

    /** Fine around 1–10 ms, where a warm admission lands; coarse up to the webhook timeout. */
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

    ClusterMetrics(String cluster, MeterRegistry registry) {
        this.cluster = cluster;
        this.registry = registry;
        Tags tags = Tags.of("cluster", cluster);
        admissionLatency = Timer.builder("pod_identity_admission_duration").description("Time to answer one admission")
                .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        hits = cache("hit");
        misses = cache("miss");
        stale = cache("stale");
        apiSucceeded = api("success");
        apiFailed = api("failure");
        registry.gauge("pod_identity_circuit_breaker_state", tags, breaker, AtomicInteger::get);
        registry.gauge("pod_identity_cluster_broken", tags, broken, AtomicInteger::get);
        callersRefused = Counter.builder("pod_identity_callers_refused")
                .description("Requests refused 401: the caller did not present the cluster's credentials")
                .tags(tags).register(registry);
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
        for (Meter meter : List.copyOf(registry.getMeters())) {
            if (cluster.equals(meter.getId().getTag("cluster")) && meter.getId().getName().startsWith("pod_identity_")) {
                registry.remove(meter);
            }
        }
    }

    /** Counts and times one admission. */
    @Override
    public void accept(Decision decision) {
        registry.counter("pod_identity_admissions", "cluster", cluster, "outcome", decision.outcome().label(),
                "mode", decision.mode()).increment();
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
        registry.counter("pod_identity_shed", "cluster", cluster, "stage", stage).increment();
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
        return Counter.builder("pod_identity_serviceaccount_cache").description("ServiceAccount cache answers")
                .tags("cluster", cluster, "result", result).register(registry);
    }

    private Timer api(String result) {
        return Timer.builder("pod_identity_api_lookup_duration").description("API server lookups, retries included")
                .tags("cluster", cluster, "result", result).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }
}
