package dev.podidentity.serviceaccount;

import com.github.benmanes.caffeine.cache.Ticker;

import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** The cache clock of the application under test, moved by the test instead of by sleeping. */
@Alternative
@Singleton
public class ManualTicker implements Ticker {

    private final AtomicLong nanos = new AtomicLong(System.nanoTime());

    @Override
    public long read() {
        return nanos.get();
    }

    public void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }
}
