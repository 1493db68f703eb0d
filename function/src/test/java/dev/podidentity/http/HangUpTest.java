package dev.podidentity.http;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.StreamResetException;
import io.vertx.ext.web.RoutingContext;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.channels.ClosedChannelException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A closed exchange is the caller's or the protocol's doing, logged at INFO, never an error of ours. */
class HangUpTest {

    @Test
    void aCallerThatHungUpOrAStreamHttp2ClosedIsAHangUp() {
        assertTrue(FailureAnswers.hungUp(null, new HttpClosedException("closed")));
        // What Vert.x reports for the streams in flight when HTTP/2 closes their connection.
        assertTrue(FailureAnswers.hungUp(null, new RuntimeException(
                Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, "Maximum number of RST frames reached"))));
        assertTrue(FailureAnswers.hungUp(null, Http2Exception.streamError(3, Http2Error.CANCEL, "reset")));
        // A caller that gave up on the stream (an API server past its webhook timeout).
        assertTrue(FailureAnswers.hungUp(null, new StreamResetException(Http2Error.CANCEL.code())));
    }

    @Test
    void anAnswerWrittenToAConnectionTheCallerClosedIsAHangUp() {
        // What Netty reports when the answer meets a connection the caller already closed (a load
        // generator or an API server past its timeout): the channel's closed exception, caused by
        // the socket's own error, while Vert.x may not yet have marked the response closed.
        assertTrue(FailureAnswers.hungUp(exchange(false), new ClosedChannelException()));
        ClosedChannelException closedWhileWriting = new ClosedChannelException();
        closedWhileWriting.initCause(new IOException("Broken pipe"));
        assertTrue(FailureAnswers.hungUp(exchange(false), new RuntimeException(closedWhileWriting)));
        assertTrue(FailureAnswers.hungUp(exchange(false), new IOException("Broken pipe")));
        assertTrue(FailureAnswers.hungUp(exchange(false), new IOException("Connection reset by peer")));
    }

    @Test
    void anyOtherFailureOnAnOpenExchangeIsNot() {
        assertFalse(FailureAnswers.hungUp(exchange(false), new IOException("disk full")));
        assertFalse(FailureAnswers.hungUp(exchange(false), new IllegalStateException(new ArithmeticException())));
        assertTrue(FailureAnswers.hungUp(exchange(true), new IOException("broken pipe")), "whatever failed, the response was closed");
    }

    /** A routing context whose response is closed or not; nothing else of it is used. */
    private static RoutingContext exchange(boolean closed) {
        HttpServerResponse response = (HttpServerResponse) Proxy.newProxyInstance(HangUpTest.class.getClassLoader(),
                new Class<?>[] {HttpServerResponse.class}, (proxy, method, args) -> {
                    if (method.getName().equals("closed")) {
                        return closed;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return (RoutingContext) Proxy.newProxyInstance(HangUpTest.class.getClassLoader(),
                new Class<?>[] {RoutingContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("response")) {
                        return response;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
