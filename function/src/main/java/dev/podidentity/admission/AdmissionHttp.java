package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.Locale;

/**
 * The HTTP edge of the admission path, in front of the Funqy function: only {@code POST} (405),
 * only JSON (415, parameters such as {@code charset} allowed), and a JSON {@code Status} body for
 * every error answer — 400 for a body that is not an AdmissionReview, 413 over the size limit,
 * 500 for a fault — where Funqy alone would answer an empty body.
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

    private static final Logger LOG = Logger.getLogger(AdmissionHttp.class);

    private final ObjectMapper mapper;

    public AdmissionHttp(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    void install(@Observes Router router) {
        router.route(MUTATE_PATH).order(-100).handler(this::guard).failureHandler(this::answerFailure);
    }

    private void guard(RoutingContext ctx) {
        if (ctx.request().method() != HttpMethod.POST) {
            ctx.response().putHeader(HttpHeaders.ALLOW, "POST");
            error(ctx, 405, "MethodNotAllowed", "only POST is served on " + ctx.request().path());
            return;
        }
        String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (!isJson(contentType)) {
            error(ctx, 415, "UnsupportedMediaType",
                    "Content-Type must be application/json, was " + (contentType == null ? "absent" : contentType));
            return;
        }
        ctx.next();
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
        BadReviewException badReview = badReview(failure);
        if (badReview != null) {
            error(ctx, 400, "BadRequest", badReview.getMessage());
        } else if (status == 413) {
            error(ctx, 413, "RequestEntityTooLarge", "the request body is larger than the configured limit");
        } else if (status == 400 && failure == null) {
            // Funqy could not read the body and says nothing more: find out why, for the caller.
            // The reason may quote the body, so only the caller sees it, never the log.
            LOG.info("refused an admission request whose body is not a readable AdmissionReview");
            error(ctx, 400, "BadRequest", whyUnreadable(ctx.body() == null ? null : ctx.body().buffer()));
        } else if (status == 405) {
            error(ctx, 405, "MethodNotAllowed", "only POST is served on " + ctx.request().path());
        } else {
            LOG.error("admission failed", failure);
            error(ctx, 500, "InternalError", "the function failed to answer; see its log");
        }
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
        } catch (StreamConstraintsException e) {
            return "the request body exceeds a JSON limit: " + e.getOriginalMessage();
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            return "the request body is not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
        } catch (IOException e) {
            return "the request body cannot be read: " + e.getMessage();
        }
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
