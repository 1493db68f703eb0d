package dev.podidentity.config;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A configuration file whose parsed content follows the file: re-read when it changes, including
 * the {@code ..data} symlink swap of a Kubernetes ConfigMap volume; a malformed version keeps the
 * previous good content and is reported.
 *
 * <pre>{@code
 * WatchedFile<String> token = new WatchedFile<>(Path.of("/etc/pod-identity/caller-token"),
 *         bytes -> new String(bytes, StandardCharsets.UTF_8).strip(), "", Duration.ofSeconds(1), System::nanoTime);
 * token.current(); // parsed content, checked at most once a second
 * }</pre>
 *
 * <p>Checking is a {@code stat} of the resolved path, at most once per interval, on the calling
 * thread; the file is read only when its resolved path, size or modification time changed, and
 * parsed only when its bytes did. No watcher thread: a function that scales to zero has nothing
 * running between requests.
 *
 * @param <T> the parsed content
 */
public final class WatchedFile<T> {

    /** Turns the file's bytes into content; throws with a clear message when they are malformed. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(byte[] content) throws Exception;
    }

    private static final Logger LOG = Logger.getLogger(WatchedFile.class);

    private final Path path;
    private final Parser<T> parser;
    private final T whenMissing;
    private final long intervalNanos;
    private final LongSupplier nanoClock;

    private volatile T current;
    private volatile long nextCheck;
    private Object statKey;
    private byte[] contentBytes;
    private boolean missing;

    public WatchedFile(Path path, Parser<T> parser, T whenMissing, Duration checkInterval, LongSupplier nanoClock) {
        this.path = Objects.requireNonNull(path, "path");
        this.parser = Objects.requireNonNull(parser, "parser");
        this.whenMissing = whenMissing;
        this.intervalNanos = checkInterval.toNanos();
        this.nanoClock = nanoClock;
        this.current = whenMissing;
        this.nextCheck = nanoClock.getAsLong();
        check();
    }

    /** The file's content as last read successfully (or the missing-file value). */
    public T current() {
        if (nanoClock.getAsLong() - nextCheck >= 0) {
            check();
        }
        return current;
    }

    public Path path() {
        return path;
    }

    private synchronized void check() {
        long now = nanoClock.getAsLong();
        if (now - nextCheck < 0) {
            return; // another thread checked meanwhile
        }
        nextCheck = now + intervalNanos;
        try {
            Path real = path.toRealPath();
            missing = false;
            BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
            Object key = Arrays.asList(real, attributes.size(), attributes.lastModifiedTime(), attributes.fileKey());
            if (key.equals(statKey)) {
                return;
            }
            byte[] bytes = Files.readAllBytes(real);
            statKey = key;
            if (Arrays.equals(bytes, contentBytes)) {
                return;
            }
            contentBytes = bytes;
            try {
                current = parser.parse(bytes);
                LOG.infof("loaded %s", path);
            } catch (Exception e) {
                LOG.errorf("%s is malformed, keeping its previous content: %s", path, e.getMessage());
            }
        } catch (NoSuchFileException e) {
            if (!missing) {
                LOG.warnf("%s does not exist; using no content until it is there", path);
            }
            missing = true;
            statKey = null;
            contentBytes = null;
            current = whenMissing;
            return;
        } catch (IOException e) {
            LOG.errorf("cannot read %s, keeping its previous content: %s", path, e.getMessage());
        }
    }
}
