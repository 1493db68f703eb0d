package dev.podidentity.startup;

import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.metrics.ClusterMetrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.quarkus.micrometer.runtime.binder.JVMInfoBinder;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Micrometer's JVM and process meters ({@code jvm_*}, {@code process_*}, {@code system_*}: the
 * binders of Quarkus's {@code quarkus.micrometer.binder.jvm} and {@code .system}, which
 * application.properties turns off), bound {@link #AFTER_FIRST_DECISION} after the first admission
 * was decided, or {@link #LATEST} after the start if none comes; at start with
 * {@code pod-identity.startup.defer-jvm-metrics=false}.
 *
 * <pre>{@code
 * DeferredJvmMetrics jvm = new DeferredJvmMetrics(meterRegistry, Duration.ZERO, Duration.ofSeconds(10));
 * jvm.start();                          // a daemon thread waits for the first decision, 10 s at most
 * metrics.cluster("default").accept(decision); // the first decision: that thread binds the meters now
 * }</pre>
 *
 * <p>Binding them is code that runs once, in the interpreter, and on one CPU it took that CPU from
 * the admissions that woke a scaled-to-zero function; Prometheus scrapes long after they are bound.
 * The first decision is seen in the registry, as its admissions counter appears
 * ({@link ClusterMetrics#ADMISSIONS}), so that no admission calls into this class.
 */
@Singleton
class DeferredJvmMetrics {

    /** How long after the first decision the meters are bound. */
    public static final Duration AFTER_FIRST_DECISION = Duration.ofSeconds(1);

    /** How long after the start the meters are bound when no admission comes. */
    public static final Duration LATEST = Duration.ofSeconds(10);

    private static final Logger LOG = Logger.getLogger(DeferredJvmMetrics.class);

    private final MeterRegistry registry;
    private final Duration afterFirstDecision;
    private final Duration latest;
    private final boolean deferred;
    private final CountDownLatch firstDecision = new CountDownLatch(1);
    // Bound, they listen to the JVM's GC notifications until closed.
    private JvmGcMetrics gc;
    private JvmHeapPressureMetrics heapPressure;
    private volatile boolean bound;
    private boolean closed;

    @Inject
    public DeferredJvmMetrics(MeterRegistry registry, PodIdentityConfig config) {
        this(registry, AFTER_FIRST_DECISION, LATEST, config.startup().deferJvmMetrics());
    }

    /**
     * Deferred: {@link #start()} binds the meters after the first decision.
     *
     * @param afterFirstDecision how long after the first decision the meters are bound
     * @param latest how long after {@link #start()} they are bound without an admission
     */
    public DeferredJvmMetrics(MeterRegistry registry, Duration afterFirstDecision, Duration latest) {
        this(registry, afterFirstDecision, latest, true);
    }

    /** @param deferred false: bound when the function starts */
    DeferredJvmMetrics(MeterRegistry registry, Duration afterFirstDecision, Duration latest, boolean deferred) {
        this.registry = registry;
        this.afterFirstDecision = afterFirstDecision;
        this.latest = latest;
        this.deferred = deferred;
    }

    void started(@Observes StartupEvent started) {
        if (deferred) {
            start();
        } else {
            bind();
        }
    }

    void stopped(@Observes ShutdownEvent stopped) {
        close();
    }

    /**
     * Starts watching the registry for the first decision, and the thread that binds the meters
     * after it, or after {@code latest}.
     */
    public void start() {
        registry.config().onMeterAdded(meter -> {
            if (ClusterMetrics.ADMISSIONS.equals(meter.getId().getName())) {
                firstDecision.countDown();
            }
        });
        Thread.ofPlatform().daemon().name("jvm-metrics").start(this::bindAfterFirstDecision);
    }

    /** Whether the meters have been bound. */
    public boolean bound() {
        return bound;
    }

    private void bindAfterFirstDecision() {
        try {
            if (firstDecision.await(latest.toMillis(), TimeUnit.MILLISECONDS)) {
                Thread.sleep(afterFirstDecision);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        bind();
    }

    private synchronized void bind() {
        if (bound || closed) {
            return;
        }
        try {
            gc = new JvmGcMetrics();
            heapPressure = new JvmHeapPressureMetrics();
            // The binders and their order of Quarkus's quarkus.micrometer.binder.jvm and .system.
            for (MeterBinder binder : List.of(new ClassLoaderMetrics(), heapPressure, new JvmMemoryMetrics(),
                    new JvmThreadMetrics(), new JVMInfoBinder(), gc, new UptimeMetrics(), new ProcessorMetrics(),
                    new FileDescriptorMetrics())) {
                binder.bindTo(registry);
            }
            bound = true;
        } catch (RuntimeException e) {
            LOG.warnf(e, "the JVM metrics could not be bound; the function's own metrics are unaffected");
        }
    }

    /** Stops the GC listeners of the bound meters; nothing is bound after this. */
    public synchronized void close() {
        closed = true;
        if (gc != null) {
            gc.close();
            heapPressure.close();
        }
    }
}
