package dev.podidentity.serviceaccount;

import dev.podidentity.FakeTicker;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.podidentity.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#lookups
class CachedLookupTest {

    final FakeTicker ticker = new FakeTicker();
    final AtomicInteger fetches = new AtomicInteger();
    final AtomicReference<String> apiValue = new AtomicReference<>("v1");
    volatile boolean apiDown;

    /** Background refreshes run on the calling thread, so their effect is visible at once. */
    CachedLookup<String, String> lookup(LookupSettings settings) {
        return new CachedLookup<>("thing", key -> {
            fetches.incrementAndGet();
            if (apiDown) {
                throw new TransientApiException("API down", null);
            }
            return apiValue.get();
        }, settings, ticker, Runnable::run);
    }

    @Test
    void aFreshValueIsServedWithoutAnotherFetch() {
        CachedLookup<String, String> lookup = lookup(LookupSettings.defaults());
        assertEquals("v1", lookup.get("k"));
        ticker.advance(Duration.ofMillis(900));

        assertEquals("v1", lookup.get("k"));
        assertEquals(1, fetches.get());
    }

    @Test
    void aChangeIsSeenByEveryLookupMoreThanTwoSecondsLater() {
        CachedLookup<String, String> lookup = lookup(LookupSettings.defaults());
        assertEquals("v1", lookup.get("k"));
        apiValue.set("v2"); // the ServiceAccount is annotated now: T

        ticker.advance(Duration.ofMillis(2001)); // T + 2 s, with no lookup in between

        assertEquals("v2", lookup.get("k"));
    }

    @Test
    void aValueInUseIsRefreshedInTheBackgroundAfterOneSecond() {
        CachedLookup<String, String> lookup = lookup(LookupSettings.defaults());
        lookup.get("k");
        apiValue.set("v2");
        ticker.advance(Duration.ofMillis(1100));

        lookup.get("k"); // serves v1 (still fresh) and starts a refresh
        assertEquals(2, fetches.get());
        assertEquals("v2", lookup.get("k"));
    }

    /**
     * The refresh in flight when a lookup finds its value too old may have started before the
     * change that lookup must see: a background refresh started at 1.1 s reads the API, the
     * ServiceAccount is annotated at T = 1.2 s, and the refresh's answer only arrives at T + 2.1 s,
     * when a lookup is waiting for it. That answer is older than the freshness promise allows.
     */
    @Test
    void aRefreshThatStartedBeforeTheChangeIsNotServedPastFreshFor() throws Exception {
        AtomicReference<CountDownLatch> gate = new AtomicReference<>(new CountDownLatch(0));
        AtomicReference<CountDownLatch> read = new AtomicReference<>(new CountDownLatch(1));
        ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
        // The first load runs on the caller's thread, so that the cache has recorded its write
        // before the clock moves (on another thread, a busy machine let the clock move first, and
        // no refresh was due at 1.1 s); the refresh then runs in the background, as in production.
        AtomicBoolean direct = new AtomicBoolean(true);
        Executor loads = task -> {
            if (direct.get()) {
                task.run();
            } else {
                background.execute(task);
            }
        };
        // The API answers what it holds when the fetch starts; the test decides when it arrives.
        CachedLookup<String, String> lookup = new CachedLookup<>("thing", key -> {
            fetches.incrementAndGet();
            String seen = apiValue.get();
            read.get().countDown();
            try {
                gate.get().await(60, TimeUnit.SECONDS); // a bound for a stuck test: the test lets it go
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return seen;
        }, LookupSettings.defaults(), ticker, loads);
        assertEquals("v1", lookup.get("k"));
        direct.set(false);

        gate.set(new CountDownLatch(1)); // the next fetch's answer is held back
        read.set(new CountDownLatch(1));
        ticker.advance(Duration.ofMillis(1100));
        assertEquals("v1", lookup.get("k"), "still fresh; starts a background refresh");
        assertTrue(read.get().await(60, TimeUnit.SECONDS), "the background refresh has read the API");
        ticker.advance(Duration.ofMillis(100));
        apiValue.set("v2"); // T: the ServiceAccount is annotated
        ticker.advance(Duration.ofMillis(2100)); // T + 2.1 s

        CompletableFuture<String> admission = new CompletableFuture<>();
        Thread admitting = Thread.ofPlatform().start(() -> admission.complete(lookup.get("k")));
        awaitWaitingForAFetch(admitting); // it joined the refresh in flight
        gate.getAndSet(new CountDownLatch(0)).countDown(); // the old answer arrives

        assertEquals("v2", admission.get(60, TimeUnit.SECONDS), "a pod admitted after T + 2 s sees the change");
        assertEquals(3, fetches.get(), "the first load, the background refresh, and one fetch after T");
        background.shutdownNow();
    }

    /** Freshness counts from when the lookup was asked: a lookup does not discard the fetch it waited for. */
    @Test
    void aLookupUsesTheFetchItWaitedForHoweverLongItTook() {
        CachedLookup<String, String> lookup = new CachedLookup<>("thing", key -> {
            fetches.incrementAndGet();
            ticker.advance(Duration.ofMillis(2500)); // a slow API server, within the budget
            return apiValue.get();
        }, LookupSettings.defaults(), ticker, Runnable::run);

        assertEquals("v1", lookup.get("k"));
        assertEquals(1, fetches.get());
    }

    @Test
    void theLastKnownValueIsServedWhileTheApiFailsUpToMaxStale() {
        CachedLookup<String, String> lookup = lookup(LookupSettings.defaults());
        lookup.get("k");
        apiDown = true;

        ticker.advance(Duration.ofMinutes(5));
        assertEquals("v1", lookup.get("k"), "stale if error");

        ticker.advance(Duration.ofMinutes(6));
        assertThrows(LookupFailedException.class, () -> lookup.get("k"), "older than max-stale");
    }

    @Test
    void hitsMissesAndStaleAnswersAreReported() {
        List<String> events = new ArrayList<>();
        LookupListener listener = new LookupListener() {
            @Override
            public void cacheHit() {
                events.add("hit");
            }

            @Override
            public void cacheMiss() {
                events.add("miss");
            }

            @Override
            public void staleServed() {
                events.add("stale");
            }
        };
        CachedLookup<String, String> lookup = new CachedLookup<>("thing", key -> {
            if (apiDown) {
                throw new TransientApiException("API down", null);
            }
            return "v";
        }, LookupSettings.defaults(), ticker, Runnable::run, listener);

        lookup.get("k");
        lookup.get("k");
        apiDown = true;
        ticker.advance(Duration.ofSeconds(3));
        lookup.get("k");

        assertEquals(List.of("miss", "hit", "miss", "stale"), events);
    }

    @Test
    void withNoKnownValueAFailedFetchIsAFailedLookup() {
        CachedLookup<String, String> lookup = lookup(LookupSettings.defaults());
        apiDown = true;

        LookupFailedException e = assertThrows(LookupFailedException.class, () -> lookup.get("k"));

        assertEquals("API down", e.getMessage());
        apiDown = false;
        assertEquals("v1", lookup.get("k"), "a failure is not cached");
    }

    @Test
    void concurrentLookupsOfOneKeyShareOneFetch() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger slowFetches = new AtomicInteger();
        AtomicBoolean releasedByTheTest = new AtomicBoolean();
        ExecutorService loads = Executors.newVirtualThreadPerTaskExecutor();
        CachedLookup<String, String> lookup = new CachedLookup<>("thing", key -> {
            slowFetches.incrementAndGet();
            try {
                releasedByTheTest.set(release.await(60, TimeUnit.SECONDS)); // a bound for a stuck test
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "v";
        }, LookupSettings.defaults(), ticker, loads);
        List<CompletableFuture<String>> results = new ArrayList<>();
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            CompletableFuture<String> result = new CompletableFuture<>();
            results.add(result);
            callers.add(Thread.ofPlatform().daemon().start(() -> result.complete(lookup.get("k"))));
        }
        // Every caller must be waiting for the fetch in flight before it returns: a caller that
        // came later would find the value cached, and one fetch would prove nothing.
        for (Thread caller : callers) {
            awaitWaitingForAFetch(caller);
        }
        release.countDown();

        for (CompletableFuture<String> result : results) {
            assertEquals("v", result.get(60, TimeUnit.SECONDS));
        }
        assertEquals(1, slowFetches.get());
        assertTrue(releasedByTheTest.get(), "the fetch returned only when the test let it");
        loads.shutdownNow();
    }

    @Test
    void aFetchSlowerThanTheBudgetIsGivenUpAtTheBudget() throws Exception {
        LookupSettings settings = new LookupSettings(Duration.ofSeconds(1), 0, Duration.ZERO, Duration.ZERO,
                Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(10), 100, 8,
                0.5, Duration.ofSeconds(5));
        CountDownLatch fetchStarted = new CountDownLatch(1);
        CountDownLatch apiAnswers = new CountDownLatch(1);
        AtomicBoolean fetchReturned = new AtomicBoolean();
        ExecutorService loads = Executors.newVirtualThreadPerTaskExecutor();
        CachedLookup<String, String> lookup = new CachedLookup<>("thing", key -> {
            fetchStarted.countDown();
            try {
                apiAnswers.await(60, TimeUnit.SECONDS); // answers only when the test lets it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            fetchReturned.set(true);
            return "late";
        }, settings, ticker, loads);

        LookupFailedException e = assertThrows(LookupFailedException.class, () -> lookup.get("k"));

        // The lookup came back while its fetch was still waiting for the API: it gave up at its budget.
        assertTrue(e.getMessage().contains("longer than its budget of 200 ms"), e.getMessage());
        assertEquals(0, fetchStarted.getCount(), "the fetch was made");
        assertFalse(fetchReturned.get(), "the fetch had not returned");
        apiAnswers.countDown();
        loads.shutdownNow();
    }

    /** Returns once the thread waits for a fetch's result (a CompletableFuture), as a lookup does. */
    static void awaitWaitingForAFetch(Thread thread) throws InterruptedException {
        eventually(() -> {
            Thread.State state = thread.getState();
            return (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING)
                    && Arrays.stream(thread.getStackTrace())
                            .anyMatch(frame -> frame.getClassName().equals(CompletableFuture.class.getName()));
        }, thread + " waiting for a fetch: " + thread.getState() + " " + Arrays.toString(thread.getStackTrace()));
    }

    @Test
    void settingsThatCannotKeepTheFreshnessPromiseAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LookupSettings(
                Duration.ofSeconds(1), 2, Duration.ofMillis(100), Duration.ofMillis(50), Duration.ofSeconds(3),
                Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofMinutes(10), 100, 8, 0.5, Duration.ofSeconds(5)));

        assertEquals("refreshAfter must not exceed freshFor, was PT5S > PT2S", e.getMessage());
    }
}
