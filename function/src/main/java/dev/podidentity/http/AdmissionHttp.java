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
import dev.podidentity.cluster.ClusterRegistry;
import dev.podidentity.cluster.Registration;

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
 * The HTTP edge of the admission path once {@link AdmissionGate} has let a request in (its cluster
 * found, its caller authenticated, room reserved): the body is read and answered for that
 * cluster, by the Funqy function on {@code /mutate} and here on {@code /clusters/<id>/mutate} and
 * {@code /mutate/}; and a JSON {@code Status} body for every error answer — 400 for a body that is
 * not an AdmissionReview, 413 over the size limit, 405 and 415 also when Quarkus already failed to
 * parse a form body, 500 only for a fault of the function — where Funqy alone would answer an
 * empty body. A client that hangs up before it is answered is an INFO line, not an error.
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
        router.route(CLUSTER_MUTATE_PATH).order(RouteOrder.ADMISSION_BODY)
                .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes)).failureHandler(this::answerFailure);
        router.route(CLUSTER_MUTATE_PATH).order(RouteOrder.ADMISSION_ANSWER).handler(ctx -> answer(ctx))
                .failureHandler(this::answerFailure);
        router.route(MUTATE_PATH).order(RouteOrder.MUTATE).handler(this::mutate).failureHandler(this::answerFailure);
        router.route(MUTATE_PATH).order(RouteOrder.ADMISSION_GATE).failureHandler(this::answerFailure);
    }

    private void answer(RoutingContext ctx) {
        Registration registration = ctx.get(AdmissionGate.REGISTRATION);
        Buffer body = ctx.body().buffer();
        ctx.vertx().executeBlocking(() -> {
            AdmissionReview review;
            try {
                review = body == null || body.length() == 0 ? null : reviews.readValue(body.getBytes());
            } catch (IOException e) {
                throw new BadReviewException(whyUnreadable(e));
            }
            // Lookups block (API calls with retries): never on the event loop.
            return AdmissionReviewAnswerWriter.toBytes(clusters.handler(registration).handle(review));
        }, false).onSuccess(answer -> ctx.response().setStatusCode(200)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(Buffer.buffer(answer)))
                .onFailure(ctx::fail);
    }

    private void mutate(RoutingContext ctx) {
        if (!ctx.request().path().equals(MUTATE_PATH)) {
            // "/mutate/", a webhook URL written with a trailing slash: Vert.x routes it here but the
            // Funqy function answers only its exact path. Serve it the same, from the body Quarkus
            // has read already, rather than let the API server get a 404 that failurePolicy: Ignore
            // would hide.
            answer(ctx);
            return;
        }
        ctx.next();
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
        if (status != 413 && badReview == null && AdmissionGate.refusedMethodOrType(ctx)) {
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

    private static void error(RoutingContext ctx, int code, String reason, String message) {
        StatusBody.send(ctx, code, reason, message);
    }
}
