package dev.podidentity.metrics;

import dev.podidentity.admission.Decision;

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
import java.util.function.Consumer;

/**
 * Micrometer's JVM and process meters ({@code jvm_*}, {@code process_*}, {@code system_*}: the
 * binders of Quarkus's {@code quarkus.micrometer.binder.jvm} and {@code .system}), bound
 * {@link #AFTER_FIRST_DECISION} after the first admission was decided, or {@link #LATEST} after the
 * function started if no admission comes: not while the first admissions after a scale from zero
 * wait.
 *
 * <pre>{@code
 * JvmMetrics jvm = new JvmMetrics(meterRegistry, Duration.ZERO, Duration.ofSeconds(10));
 * jvm.start();          // a daemon thread waits for the first decision, 10 s at most
 * jvm.accept(decision); // that thread binds the meters now
 * }</pre>
 *
 * <p>Why not at start, as Quarkus does: binding them is code that runs once, in the interpreter,
 * on the main thread before the function serves, 4 % of the CPU to the first answer of a cold
 * start on one CPU. Why not at the first decision itself: its answer is still being
 * written then, and the next admissions of the burst that woke the function are on their way (the
 * activator holds them while it starts); on one CPU, binding took CPU they waited for
 * (benchmarks/README.md, "JVM metrics after the first admission"). Prometheus scrapes every 15–60
 * s: the meters are there by its first scrape.
 */
// Singleton, not ApplicationScoped: every admission calls accept, with no client proxy in between.
@Singleton
public class JvmMetrics implements Consumer<Decision> {

    /** How long after the first decision the meters are bound. */
    public static final Duration AFTER_FIRST_DECISION = Duration.ofSeconds(1);

    /** How long after the start the meters are bound when no admission comes. */
    public static final Duration LATEST = Duration.ofSeconds(10);

    private static final Logger LOG = Logger.getLogger(JvmMetrics.class);

    private final MeterRegistry registry;
    private final Duration afterFirstDecision;
    private final Duration latest;
    private final CountDownLatch firstDecision = new CountDownLatch(1);
    // Bound, they listen to the JVM's GC notifications until closed.
    private JvmGcMetrics gc;
    private JvmHeapPressureMetrics heapPressure;
    private volatile boolean bound;
    private boolean closed;

    @Inject
    public JvmMetrics(MeterRegistry registry) {
        this(registry, AFTER_FIRST_DECISION, LATEST);
    }

    /**
     * @param afterFirstDecision how long after the first decision the meters are bound
     * @param latest how long after {@link #start()} they are bound without an admission
     */
    public JvmMetrics(MeterRegistry registry, Duration afterFirstDecision, Duration latest) {
        this.registry = registry;
        this.afterFirstDecision = afterFirstDecision;
        this.latest = latest;
    }

    void started(@Observes StartupEvent started) {
        start();
    }

    void stopped(@Observes ShutdownEvent stopped) {
        close();
    }

    /** Starts the thread that binds the meters after the first decision, or after {@code latest}. */
    public void start() {
        Thread.ofPlatform().daemon().name("jvm-metrics").start(this::bindAfterFirstDecision);
    }

    /** Tells that an admission was decided: the first one lets the meters be bound. */
    @Override
    public void accept(Decision decision) {
        firstDecision.countDown(); // past the first: a read of the latch's count, nothing else
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
