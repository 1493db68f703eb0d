package dev.podidentity.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import dev.podidentity.admission.BadReviewException;

import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.StreamResetException;
import io.vertx.ext.web.RoutingContext;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * Every failure on the admission path, answered in one place with a Kubernetes {@code Status}
 * body: {@code 400} for a body that is not an AdmissionReview (with the reason, for the caller
 * only: it may quote the body), {@code 413} for one over the size limit, the status another
 * handler failed the request with, and {@code 500} only for a fault of the function. A client that
 * hung up before it was answered is an INFO line, not an error: nobody is left to answer.
 *
 * <pre>{@code
 * FailureAnswers failures = new FailureAnswers();
 * Consumer<RoutingContext> onFailure = failures::answer; // every admission route's failure handler
 * }</pre>
 */
@ApplicationScoped
class FailureAnswers {

    private static final Logger LOG = Logger.getLogger(FailureAnswers.class);

    /** Answers the failed exchange, unless it was answered or its client is gone. */
    void answer(RoutingContext ctx) {
        if (ctx.response().ended()) {
            return;
        }
        Throwable failure = ctx.failure();
        int status = ctx.statusCode();
        if (hungUp(ctx, failure)) {
            // An API server that gave up (its webhook timeout) or a client that went away.
            LOG.info("the client closed the connection before its admission request was answered");
            return;
        }
        BadReviewException badReview = badReview(failure);
        if (badReview != null) {
            StatusBody.send(ctx, 400, "BadRequest", badReview.getMessage());
        } else if (status == 413) {
            StatusBody.send(ctx, 413, "RequestEntityTooLarge", "the request body is larger than the configured limit");
        } else if (failure == null && status >= 400 && status < 500) {
            LOG.infof("refused an admission request with status %d", status);
            StatusBody.send(ctx, status, status == 404 ? "NotFound" : "BadRequest",
                    "the request was refused (HTTP " + status + ")");
        } else {
            LOG.error("admission failed", failure);
            StatusBody.send(ctx, 500, "InternalError", "the function failed to answer; see its log");
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

    /** The reason a review is refused, wherever in the cause chain the worker put it. */
    private static BadReviewException badReview(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BadReviewException bad) {
                return bad;
            }
        }
        return null;
    }

    /** Why a body cannot be read as JSON, in the parser's words and at its position. */
    static String whyUnreadable(IOException failure) {
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
}
