package dev.podidentity.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A request body for the JDK's HTTP client that sends {@code text} but its last byte at once,
 * completing {@code started} as it does, and that byte and the end of the body when {@code end}
 * completes; every byte handed over is added to {@code sent}.
 *
 * <pre>{@code
 * CompletableFuture<Void> end = new CompletableFuture<>();
 * Trickle body = new Trickle(review, end, new CompletableFuture<>());
 * HttpRequest.BodyPublishers.fromPublisher(body, body.length());
 * end.complete(null); // the last byte goes out now
 * }</pre>
 */
record Trickle(String text, CompletableFuture<Void> end, CompletableFuture<Void> started, AtomicLong sent)
        implements Flow.Publisher<ByteBuffer> {

    Trickle(String text, CompletableFuture<Void> end, CompletableFuture<Void> started) {
        this(text, end, started, new AtomicLong());
    }

    /** The body's length in bytes, for the request's {@code Content-Length}. */
    long length() {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        subscriber.onSubscribe(new Flow.Subscription() {
            boolean requested;

            @Override
            public synchronized void request(long n) {
                if (requested) {
                    return;
                }
                requested = true;
                subscriber.onNext(ByteBuffer.wrap(bytes, 0, bytes.length - 1));
                sent.addAndGet(bytes.length - 1);
                started.complete(null);
                end.thenRunAsync(() -> {
                    subscriber.onNext(ByteBuffer.wrap(bytes, bytes.length - 1, 1));
                    sent.incrementAndGet();
                    subscriber.onComplete();
                });
            }

            @Override
            public void cancel() {
            }
        });
    }
}
