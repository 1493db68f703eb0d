package dev.podidentity.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.podidentity.admission.AdmissionReview;
import dev.podidentity.admission.AdmissionReviewAnswerWriter;
import dev.podidentity.admission.BadReviewException;
import dev.podidentity.cluster.CallerCertificate;
import dev.podidentity.cluster.CallerToken;
import dev.podidentity.cluster.ClusterRegistry;

import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.StreamResetException;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/**
 * The HTTP edge of the admission path, in front of the Funqy function (which sees no headers):
 * cluster routing ({@code /clusters/<id>/mutate}: 404 for a cluster not served here), caller
 * authentication (401, before anything about any ServiceAccount is looked up), only {@code POST}
 * (405), only JSON (415, parameters such as {@code charset} allowed, also when Quarkus already
 * failed to parse a form body), and a JSON {@code Status} body for every error answer — 400 for a
 * body that is not an AdmissionReview, 413 over the size limit, 500 only for a fault of the
 * function — where Funqy alone would answer an empty body. A path with a trailing slash
 * ({@code /mutate/}) is served as the path without it; a client that hangs up before it is
 * answered is an INFO line, not an error.
 *
 * <pre>{@code
 * curl -i -X GET localhost:8080/mutate
 * // HTTP/1.1 405 Method Not Allowed   {"kind":"Status",...,"message":"only POST is served on /mutate"}
 * }</pre>
 */
@ApplicationScoped
public class AdmissionHttp {

    /** The admission path. */
    public static final String MUTATE_PATH = "/mutate";
    /** The admission path of one cluster of a shared deployment. */
    public static final String CLUSTER_MUTATE_PATH = "/clusters/:cluster/mutate";
    /** Routing-context key of the authenticated cluster the function answers for. */
    public static final String CLUSTER = "pod-identity.cluster";

    private static final Logger LOG = Logger.getLogger(AdmissionHttp.class);

    private final ObjectMapper mapper;
    private final ObjectReader reviews;
    private final ClusterRegistry clusters;
    private final long maxBodyBytes;

    public AdmissionHttp(ObjectMapper mapper, ClusterRegistry clusters,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody) {
        this.mapper = mapper;
        this.reviews = mapper.readerFor(AdmissionReview.class);
        this.clusters = clusters;
        this.maxBodyBytes = maxBody.asLongValue();
    }

    void install(@Observes Router router) {
        // Served here, not rerouted to the Funqy route: a reroute makes Quarkus read the body twice.
        // Three routes, as Vert.x wants body handling apart from other handlers: find and
        // authenticate the cluster and check method and type before reading the body.
        router.route(CLUSTER_MUTATE_PATH).order(-112).handler(this::findCluster).handler(this::guard)
                .failureHandler(this::answerFailure);
        router.route(CLUSTER_MUTATE_PATH).order(-111).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
        router.route(CLUSTER_MUTATE_PATH).order(-110).handler(this::answerForCluster);
        router.route(MUTATE_PATH).order(-100).handler(this::guard).failureHandler(this::answerFailure);
    }

    /** 404 for a cluster not served here, 401 for a caller without its token: before any lookup. */
    private void findCluster(RoutingContext ctx) {
        String cluster = ctx.pathParam("cluster");
        if (ClusterRegistry.DEFAULT.equals(cluster) || !clusters.knows(cluster)) {
            error(ctx, 404, "NotFound", "no cluster " + cluster + " is served here");
            return;
        }
        if (!authenticated(ctx, cluster)) {
            return;
        }
        ctx.put(CLUSTER, cluster);
        ctx.next();
    }

    /** The same answer the Funqy function gives on {@code /mutate}, for the authenticated cluster. */
    private void answerForCluster(RoutingContext ctx) {
        answer(ctx, ctx.get(CLUSTER));
    }

    private void answer(RoutingContext ctx, String cluster) {
        Buffer body = ctx.body().buffer();
        ctx.vertx().executeBlocking(() -> {
            AdmissionReview review;
            try {
                review = body == null || body.length() == 0 ? null : reviews.readValue(body.getBytes());
            } catch (IOException e) {
                throw new BadReviewException(whyUnreadable(e));
            }
            // Lookups block (API calls with retries): never on the event loop.
            return AdmissionReviewAnswerWriter.toBytes(clusters.handler(cluster).handle(review));
        }, false).onSuccess(answer -> ctx.response().setStatusCode(200)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(Buffer.buffer(answer)))
                .onFailure(ctx::fail);
    }

    /**
     * Answers 401 and returns false unless the caller presents what the cluster requires: its
     * bearer token, its client certificate, or both when both are configured.
     */
    private boolean authenticated(RoutingContext ctx, String cluster) {
        CallerToken token = clusters.callerToken(cluster).orElse(null);
        CallerCertificate certificate = clusters.callerCertificate(cluster).orElse(null);
        boolean tokenOk = token == null || token.accepts(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
        boolean certificateOk = certificate == null
                || ctx.request().isSSL() && certificate.acceptsSession(ctx.request().sslSession());
        if (tokenOk && certificateOk) {
            return true;
        }
        LOG.infof("refused an admission request for cluster %s: %s", cluster,
                tokenOk ? "missing or wrong client certificate" : "missing or wrong bearer token");
        ctx.response().putHeader("WWW-Authenticate", "Bearer");
        error(ctx, 401, "Unauthorized", "valid credentials for cluster " + cluster + " are required");
        return false;
    }

    private void guard(RoutingContext ctx) {
        boolean clusterPath = ctx.get(CLUSTER) != null;
        if (!clusterPath && !authenticated(ctx, ClusterRegistry.DEFAULT)) {
            return;
        }
        if (refusedMethodOrType(ctx)) {
            return;
        }
        if (!clusterPath && !ctx.request().path().equals(MUTATE_PATH)) {
            // "/mutate/", a webhook URL written with a trailing slash: Vert.x routes it here but the
            // Funqy function answers only its exact path. Serve it the same, from the body Quarkus
            // has read already, rather than let the API server get a 404 that failurePolicy: Ignore
            // would hide.
            answer(ctx, ClusterRegistry.DEFAULT);
            return;
        }
        ctx.next();
    }

    /**
     * Answers 405 for a method other than POST and 415 for a body that is not JSON, and returns
     * whether it did. Also asked when the request failed before the guard saw it: Quarkus parses a
     * form body (curl's default type) before any route, and fails on a large one.
     */
    private boolean refusedMethodOrType(RoutingContext ctx) {
        if (ctx.request().method() != HttpMethod.POST) {
            ctx.response().putHeader(HttpHeaders.ALLOW, "POST");
            error(ctx, 405, "MethodNotAllowed", "only POST is served on " + ctx.request().path());
            return true;
        }
        String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (!isJson(contentType)) {
            error(ctx, 415, "UnsupportedMediaType", "Content-Type must be application/json, was "
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

    private void answerFailure(RoutingContext ctx) {
        if (ctx.response().ended()) {
            return;
        }
        Throwable failure = ctx.failure();
        int status = ctx.statusCode();
        if (hungUp(ctx, failure)) {
            // Nobody is left to answer; an API server that gave up (its webhook timeout) or a client
            // that went away is not a fault of the function.
            LOG.info("the client closed the connection before its admission request was answered");
            return;
        }
        BadReviewException badReview = badReview(failure);
        if (status != 413 && badReview == null && refusedMethodOrType(ctx)) {
            return;
        }
        if (badReview != null) {
            error(ctx, 400, "BadRequest", badReview.getMessage());
        } else if (status == 413) {
            error(ctx, 413, "RequestEntityTooLarge", "the request body is larger than the configured limit");
        } else if (status == 400 && failure == null) {
            // Funqy could not read the body and says nothing more: find out why, for the caller.
            // The reason may quote the body, so only the caller sees it, never the log.
            LOG.info("refused an admission request whose body is not a readable AdmissionReview");
            error(ctx, 400, "BadRequest", whyUnreadable(ctx.body() == null ? null : ctx.body().buffer()));
        } else if (failure == null && status >= 400 && status < 500) {
            // Refused before the function saw it, with a status and nothing more: say so, as such.
            LOG.infof("refused an admission request with status %d", status);
            error(ctx, status, status == 404 ? "NotFound" : "BadRequest",
                    "the request was refused (HTTP " + status + ")");
        } else {
            LOG.error("admission failed", failure);
            error(ctx, 500, "InternalError", "the function failed to answer; see its log");
        }
    }

    /**
     * Whether the exchange ended because the caller or the protocol layer closed it: the caller
     * hung up (also while its answer was being written), or HTTP/2 closed the stream or the
     * connection under it (a reset, a GOAWAY).
     */
    static boolean hungUp(RoutingContext ctx, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof HttpClosedException || t instanceof StreamResetException || t instanceof Http2Exception
                    || t instanceof ClosedChannelException || socketClosedByPeer(t)) {
                return true;
            }
        }
        return ctx.response().closed();
    }

    /**
     * The socket's own words for a peer that went away, as the JDK reports them while writing the
     * answer; Netty's SslHandler recognises the same two.
     */
    private static boolean socketClosedByPeer(Throwable t) {
        return t instanceof IOException && t.getMessage() != null
                && (t.getMessage().contains("Broken pipe") || t.getMessage().contains("Connection reset by peer"));
    }

    /** Funqy wraps what the function throws; the cause chain holds ours. */
    private static BadReviewException badReview(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BadReviewException bad) {
                return bad;
            }
        }
        return null;
    }

    private String whyUnreadable(Buffer body) {
        if (body == null || body.length() == 0) {
            return "the request body is empty: expected an AdmissionReview";
        }
        try {
            mapper.readTree(body.getBytes());
            return "the request body is not an AdmissionReview";
        } catch (IOException e) {
            return whyUnreadable(e);
        }
    }

    private static String whyUnreadable(IOException failure) {
        if (failure instanceof StreamConstraintsException limit) {
            return "the request body exceeds a JSON limit: " + limit.getOriginalMessage();
        }
        if (failure instanceof JsonProcessingException syntax) {
            JsonLocation at = syntax.getLocation();
            return "the request body is not valid JSON: " + syntax.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
        }
        return "the request body cannot be read: " + failure.getMessage();
    }

    /** Answers a Kubernetes-style {@code Status} object, which API server operators already read. */
    private void error(RoutingContext ctx, int code, String reason, String message) {
        ObjectNode status = mapper.createObjectNode()
                .put("apiVersion", "v1")
                .put("kind", "Status")
                .put("status", "Failure")
                .put("message", message)
                .put("reason", reason)
                .put("code", code);
        try {
            ctx.response().setStatusCode(code)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(mapper.writeValueAsString(status));
        } catch (JsonProcessingException e) {
            ctx.response().setStatusCode(code).end();
        }
    }
}
