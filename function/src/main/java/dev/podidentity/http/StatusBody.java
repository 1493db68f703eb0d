package dev.podidentity.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Every error answer of the HTTP edge: a Kubernetes {@code Status} object, which API server
 * operators already read, with the HTTP status as its {@code code}.
 *
 * <pre>{@code
 * String body = StatusBody.of(404, "NotFound", "no cluster nope is served here");
 * // {"apiVersion":"v1","kind":"Status","status":"Failure","message":"no cluster nope is served here",
 * //  "reason":"NotFound","code":404}
 * }</pre>
 */
final class StatusBody {

    private StatusBody() {
    }

    /** Ends the exchange with the status and its {@code Status} body. */
    static Future<Void> send(RoutingContext ctx, int code, String reason, String message) {
        return ctx.response().setStatusCode(code)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(of(code, reason, message));
    }

    /** The {@code Status} object, as JSON. */
    static String of(int code, String reason, String message) {
        JsonStringEncoder json = JsonStringEncoder.getInstance();
        return "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\""
                + new String(json.quoteAsString(message)) + "\",\"reason\":\"" + new String(json.quoteAsString(reason))
                + "\",\"code\":" + code + "}";
    }
}
