package dev.podidentity.http;

import dev.podidentity.admission.InFlightBytes;
import dev.podidentity.cluster.ClusterRegistry;
import dev.podidentity.cluster.Registration;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.metrics.Metrics;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The first thing every admission request meets, before its body is read: which cluster it is
 * for, whether its caller is that cluster's API server, and room for it in the in-flight budget.
 * Nothing shared is spent on a caller before it is authenticated: a request for a cluster not
 * served here ({@code 404}), from a caller without the cluster's credentials ({@code 401}), or for
 * a cluster whose registration is broken ({@code 503}) is answered as soon as its headers are in,
 * and its body is never read.
 *
 * <pre>{@code
 * curl -i -H 'Content-Type: application/json' --data @examples/irsa-pod.json localhost:8080/clusters/nope/mutate
 * // HTTP/1.1 404 Not Found   {"kind":"Status",...,"message":"no cluster nope is served here"}
 * }</pre>
 *
 * <p>An authenticated request reserves its weight for its cluster in {@link InFlightBytes}, each
 * cluster holding at most its share: one that does not fit is answered {@code 429 Too Many
 * Requests} (at once, or after waiting up to {@code limits.max-queue-wait} when one is set)
 * without keeping its body (dropped as it arrives). A function driven past what its heap holds
 * thus sheds requests instead of queueing their bodies until it runs out of memory, and no cluster
 * can take another's room. The API server treats a 429 as a failed call to the webhook: its
 * {@code failurePolicy} decides. The reservation is released when the response ends or the
 * connection closes.
 */
@ApplicationScoped
public class AdmissionGate {

    /** Routing-context key of the {@link Registration} of the authenticated caller's cluster. */
    public static final String REGISTRATION = "pod-identity.registration";

    private static final String BUSY = "the function has as many admissions in flight as its heap allows; retry";
    private static final Logger LOG = Logger.getLogger(AdmissionGate.class);

    /** How long a refused request's body is waited for: the API server sends it at once. */
    static final long DRAIN_LIMIT_MS = 1000;

    private final InFlightBytes inFlight;
    private final ClusterRegistry clusters;
    private final Metrics metrics;
    private final FailureAnswers failures;
    private final long maxBodyBytes;
    private final long bodyTimeoutMs;
    private final long maxQueueWaitMs;

    public AdmissionGate(InFlightBytes inFlight, ClusterRegistry clusters, Metrics metrics, FailureAnswers failures,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody, PodIdentityConfig config) {
        this.inFlight = inFlight;
        this.clusters = clusters;
        this.metrics = metrics;
        this.failures = failures;
        this.maxBodyBytes = maxBody.asLongValue();
        this.bodyTimeoutMs = Math.max(1, config.limits().bodyTimeout().toMillis());
        this.maxQueueWaitMs = Math.max(0, config.limits().maxQueueWait().toMillis());
    }

    void install(@Observes Router router) {
        for (String path : AdmissionHttp.PATHS) {
            router.route(path).order(RouteOrder.ADMISSION_GATE).handler(this::admit).failureHandler(failures::answer);
        }
    }

    private void admit(RoutingContext ctx) {
        if (refusedMethodOrType(ctx)) {
            return;
        }
        String cluster = ctx.pathParam("cluster");
        if (cluster == null) {
            cluster = ClusterRegistry.DEFAULT;
        } else if (ClusterRegistry.DEFAULT.equals(cluster)) {
            refuseEarly(ctx, 404, "NotFound", "no cluster " + cluster + " is served here");
            return;
        }
        String id = cluster;
        CompletableFuture<Optional<Registration>> found = clusters.find(id);
        if (found.isDone()) {
            found(ctx, id, found.getNow(null), null);
            return;
        }
        // Its Secret is being read: the request stays paused, holding its headers (and, over HTTP/2,
        // what of its body has come).
        Context context = Vertx.currentContext();
        found.whenComplete((registration, failure) -> context.runOnContext(v -> found(ctx, id, registration, failure)));
    }

    private void found(RoutingContext ctx, String id, Optional<Registration> found, Throwable failure) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        if (failure != null) {
            LOG.warnf("cannot tell whether cluster %s is served: %s", id, failure.getMessage());
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
            refuseEarly(ctx, 503, "ServiceUnavailable", "the clusters served here cannot be read now; retry");
            return;
        }
        if (found.isEmpty()) {
            refuseEarly(ctx, 404, "NotFound", "no cluster " + id + " is served here");
            return;
        }
        Registration registration = found.get();
        if (registration.callers() == null) {
            // Nothing tells its API server from anyone else: what is wrong goes to the log only.
            metrics.cluster(id).registered(false);
            refuseEarly(ctx, 503, "ServiceUnavailable", "cluster " + id + " cannot be served: its registration is"
                    + " broken; see the function's log");
            return;
        }
        HttpServerRequest request = ctx.request();
        String refusal = registration.callers().refusal(request.getHeader(HttpHeaders.AUTHORIZATION),
                request.isSSL() ? request.sslSession() : null);
        if (refusal != null) {
            metrics.cluster(id).callerRefused();
            LOG.infof("refused an admission request for cluster %s: %s", id, refusal);
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            refuseEarly(ctx, 401, "Unauthorized", "valid credentials for cluster " + id + " are required");
            return;
        }
        ctx.put(REGISTRATION, registration);
        reserve(ctx, id);
    }

    /**
     * Reserves the request's weight for its cluster, at once or, with a {@code max-queue-wait}, after
     * waiting up to it; then reads on.
     */
    private void reserve(RoutingContext ctx, String cluster) {
        long weight = InFlightBytes.weightOf(declaredLength(ctx));
        if (maxQueueWaitMs == 0) {
            reserved(ctx, cluster, weight, inFlight.tryReserve(cluster, weight));
            return;
        }
        Context context = Vertx.currentContext();
        InFlightBytes.Ticket ticket = inFlight.reserve(cluster, weight, reserved -> {
            if (Vertx.currentContext() == context) {
                reserved(ctx, cluster, weight, reserved);
            } else {
                context.runOnContext(v -> reserved(ctx, cluster, weight, reserved));
            }
        });
        if (ticket.queued()) {
            long timer = ctx.vertx().setTimer(maxQueueWaitMs, late -> ticket.cancel());
            // A caller that goes away while it waits gives its place up.
            ctx.addEndHandler(ended -> {
                ctx.vertx().cancelTimer(timer);
                ticket.cancel();
            });
        }
    }

    private void reserved(RoutingContext ctx, String cluster, long weight, boolean reserved) {
        if (!reserved) {
            metrics.cluster(cluster).shed("admission");
            refuse(ctx);
            return;
        }
        AtomicBoolean held = new AtomicBoolean(true);
        Runnable release = () -> {
            if (held.compareAndSet(true, false)) {
                inFlight.release(cluster, weight);
            }
        };
        if (ctx.response().ended() || ctx.response().closed()) {
            release.run(); // the caller went away while it waited
            return;
        }
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
     * Answers a request refused before anything was reserved for it, without reading its body: over
     * HTTP/1.1 the connection is closed after the answer, over HTTP/2 the body is dropped as it
     * comes. A caller trickling its body thus holds nothing of the function's.
     */
    private static void refuseEarly(RoutingContext ctx, int code, String reason, String message) {
        HttpServerRequest request = ctx.request();
        if (!bodyToCome(request)) {
            StatusBody.send(ctx, code, reason, message);
            return;
        }
        if (request.version() == HttpVersion.HTTP_2) {
            request.handler(dropped -> { });
            request.resume();
            StatusBody.send(ctx, code, reason, message);
            return;
        }
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        StatusBody.send(ctx, code, reason, message).onComplete(sent -> request.connection().close());
    }

    /** Whether body bytes may still arrive: a length or chunks were announced and the request has not ended. */
    private static boolean bodyToCome(HttpServerRequest request) {
        if (request.isEnded()) {
            return false;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return length == null ? request.version() == HttpVersion.HTTP_2 || request.headers()
                .contains(HttpHeaders.TRANSFER_ENCODING, HttpHeaders.CHUNKED, true) : !length.strip().equals("0");
    }

    /**
     * Answers 429 once the body has arrived, dropping it chunk by chunk as it comes: nothing of it
     * is kept. Answering before the client has sent it all would be sooner, but an HTTP/2 client
     * that is still sending when the answer ends resets the stream, and past the Rapid Reset
     * defence's count of resets on one connection the server closes it, failing every admission in
     * flight on that connection. A body that has not arrived within {@link #DRAIN_LIMIT_MS} is not
     * waited for.
     */
    private void refuse(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        Runnable answer = () -> {
            if (!response.ended() && !response.closed()) {
                response.putHeader(HttpHeaders.RETRY_AFTER, "1");
                StatusBody.send(ctx, 429, "TooManyRequests", BUSY);
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

    /** Answers 405 for a method other than POST and 415 for a body that is not JSON, and returns whether it did. */
    private static boolean refusedMethodOrType(RoutingContext ctx) {
        if (ctx.request().method() != HttpMethod.POST) {
            ctx.response().putHeader(HttpHeaders.ALLOW, "POST");
            refuseEarly(ctx, 405, "MethodNotAllowed", "only POST is served on " + ctx.request().path());
            return true;
        }
        String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (!isJson(contentType)) {
            refuseEarly(ctx, 415, "UnsupportedMediaType", "Content-Type must be application/json, was "
                    + (contentType == null ? "absent" : quoted(contentType)));
            return true;
        }
        return false;
    }

    /** At most 100 characters of a header echoed to the caller. */
    private static String quoted(String header) {
        return header.length() <= 100 ? header : header.substring(0, 100) + "…";
    }

    /** {@code application/json}, in any case, with or without parameters. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return type.toLowerCase(Locale.ROOT).equals("application/json");
    }
}
