package dev.podidentity.cluster;

import dev.podidentity.config.WatchedFile;

import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

/**
 * The bearer token an API server must present to the function, read from a file that can be
 * rotated (re-read when it changes), compared in constant time. A missing, empty or blank file lets
 * no one in, also when it held a token before: emptying the file is how an operator locks callers
 * out, so it must not keep the old token valid.
 *
 * <pre>{@code
 * CallerToken token = CallerToken.watching(Path.of("/etc/pod-identity/clusters/prod/caller-token"), Duration.ofSeconds(1));
 * token.accepts(httpRequest.getHeader("Authorization")); // "Bearer <token>"
 * }</pre>
 */
public final class CallerToken {

    private static final Logger LOG = Logger.getLogger(CallerToken.class);
    private static final String BEARER = "Bearer ";

    private final WatchedFile<byte[]> file;

    private CallerToken(WatchedFile<byte[]> file) {
        this.file = file;
    }

    public static CallerToken watching(Path path, Duration checkInterval) {
        return new CallerToken(new WatchedFile<>(path, content -> digestOfToken(path, content), null, checkInterval,
                System::nanoTime));
    }

    /** Whether the {@code Authorization} header carries the current token. */
    public boolean accepts(String authorization) {
        byte[] expected = file.current();
        if (expected == null || authorization == null || !authorization.regionMatches(true, 0, BEARER, 0,
                BEARER.length())) {
            return false;
        }
        byte[] presented = digest(authorization.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8));
        // Digests have one length, so the comparison takes the same time whatever was presented.
        return MessageDigest.isEqual(expected, presented);
    }

    /** Null, which no header matches, for a blank file: not an error that would keep the old token. */
    private static byte[] digestOfToken(Path path, byte[] content) {
        String token = new String(content, StandardCharsets.UTF_8).strip();
        if (token.isEmpty()) {
            LOG.warnf("caller token file %s is empty: no caller is accepted until it holds a token", path);
            return null;
        }
        return digest(token.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] digest(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
