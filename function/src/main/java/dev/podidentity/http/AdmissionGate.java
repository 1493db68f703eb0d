package dev.podidentity.http;

import dev.podidentity.admission.InFlightBytes;
import dev.podidentity.cluster.ClusterRegistry;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.metrics.Metrics;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The first thing every admission request meets, before its body is read: it reserves the
 * request's weight in {@link InFlightBytes}, or answers {@code 429 Too Many Requests} without
 * keeping the body (it is dropped as it arrives). A function driven past what its heap holds thus
 * sheds requests instead of queueing their bodies until it runs out of memory.
 *
 * <pre>{@code
 * curl -i -H 'Content-Type: application/json' --data @examples/irsa-pod.json localhost:8080/mutate
 * // when too busy: HTTP/1.1 429 Too Many Requests, Retry-After: 1, {"kind":"Status",...,"reason":"TooManyRequests"}
 * }</pre>
 *
 * <p>The API server treats a 429 as a failed call to the webhook: its {@code failurePolicy}
 * decides (the shipped {@code Ignore} admits the pod unmutated, {@code Fail} refuses it so its
 * controller retries). Nothing in the body can be answered without reading it, uid included.
 * Its routes come before Quarkus reads bodies ({@code Integer.MIN_VALUE}); the reservation is
 * released when the response ends or the connection closes.
 */
@ApplicationScoped
public class AdmissionGate {

    private static final String BUSY = """
            {"apiVersion":"v1","kind":"Status","status":"Failure","message":"the function has as many admissions \
            in flight as its heap allows; retry","reason":"TooManyRequests","code":429}""";

    private static final Logger LOG = Logger.getLogger(AdmissionGate.class);

    /** How long a refused request's body is waited for: the API server sends it at once. */
    static final long DRAIN_LIMIT_MS = 1000;

    private final InFlightBytes inFlight;
    private final ClusterRegistry clusters;
    private final Metrics metrics;
    private final long maxBodyBytes;
    private final long bodyTimeoutMs;

    public AdmissionGate(InFlightBytes inFlight, ClusterRegistry clusters, Metrics metrics,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody, PodIdentityConfig config) {
        this.inFlight = inFlight;
        this.clusters = clusters;
        this.metrics = metrics;
        this.maxBodyBytes = maxBody.asLongValue();
        this.bodyTimeoutMs = Math.max(1, config.limits().bodyTimeout().toMillis());
    }

    void install(@Observes Router router) {
        router.route(AdmissionHttp.CLUSTER_MUTATE_PATH).order(Integer.MIN_VALUE).handler(this::admit);
        router.route(AdmissionHttp.MUTATE_PATH).order(Integer.MIN_VALUE).handler(this::admit);
    }

    private void admit(RoutingContext ctx) {
        long weight = InFlightBytes.weightOf(declaredLength(ctx));
        if (!inFlight.tryReserve(weight)) {
            String cluster = ctx.pathParam("cluster");
            // Only clusters served here get a meter: a path must not create them.
            metrics.cluster(cluster == null ? ClusterRegistry.DEFAULT : clusters.knows(cluster) ? cluster
                    : ClusterRegistry.DEFAULT).shed("admission");
            refuse(ctx);
            return;
        }
        AtomicBoolean held = new AtomicBoolean(true);
        Runnable release = () -> {
            if (held.compareAndSet(true, false)) {
                inFlight.release(weight);
            }
        };
        ctx.addEndHandler(ended -> release.run());
        if (!ctx.request().isEnded()) {
            // Vert.x bounds the time to the headers only by their size: the body gets a deadline.
            long timer = ctx.vertx().setTimer(bodyTimeoutMs, late -> {
                if (!ctx.request().isEnded() && !ctx.response().closed()) {
                    LOG.infof("closed an admission request whose body took more than %d ms to arrive", bodyTimeoutMs);
                    ctx.response().reset(); // HTTP/2: this stream; HTTP/1.1: the connection
                    release.run(); // a reset exchange does not always reach the end handlers
                }
            });
            ctx.addEndHandler(ended -> ctx.vertx().cancelTimer(timer));
        }
        ctx.next();
    }

    /**
     * Answers 429 once the body has arrived, dropping it chunk by chunk as it comes: nothing of it
     * is kept. Answering before the client has sent it all would be sooner, but an HTTP/2 client
     * that is still sending when the answer ends resets the stream, and past 200 resets in 30 s
     * on one connection the server closes it (GOAWAY {@code ENHANCE_YOUR_CALM}, the Rapid Reset
     * defence), failing every admission in flight on that connection. A body that has not
     * arrived within {@link #DRAIN_LIMIT_MS} is not waited for.
     */
    private void refuse(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        Runnable answer = () -> {
            if (!response.ended() && !response.closed()) {
                response.setStatusCode(429).putHeader(HttpHeaders.RETRY_AFTER, "1")
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(BUSY);
            }
        };
        if (request.isEnded()) {
            answer.run();
            return;
        }
        long timer = ctx.vertx().setTimer(DRAIN_LIMIT_MS, late -> answer.run());
        long[] dropped = {0};
        request.handler(chunk -> {
            dropped[0] += chunk.length();
            if (dropped[0] > maxBodyBytes) { // more than any admission may send: stop reading it
                ctx.vertx().cancelTimer(timer);
                answer.run();
            }
        });
        request.endHandler(ended -> {
            ctx.vertx().cancelTimer(timer);
            answer.run();
        });
        request.resume();
    }

    /** The body's declared length; without one (chunked), the most it may be. */
    private long declaredLength(RoutingContext ctx) {
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                return Math.min(Long.parseLong(length.strip()), maxBodyBytes);
            } catch (NumberFormatException e) {
                return maxBodyBytes;
            }
        }
        return maxBodyBytes;
    }
}
