package dev.podidentity.cluster;

import dev.podidentity.config.WatchedFile;

import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The bearer tokens a cluster's API server may present to the function: any one of them is
 * accepted, so that a token is rotated without a window (add the new one, switch the API server to
 * it, remove the old one). Compared in constant time, as SHA-256 digests. Read from a file, one per
 * line and re-read when it changes, or from a Secret's values. No token lets no one in, also when
 * the file held tokens before: emptying the file is how an operator locks callers out, so it must
 * not keep the old tokens valid.
 *
 * <pre>{@code
 * CallerTokens tokens = CallerTokens.watching(Path.of("/etc/pod-identity/clusters/prod/caller-token"), Duration.ofSeconds(1));
 * tokens.accepts(httpRequest.getHeader("Authorization")); // "Bearer <token>"
 * }</pre>
 */
final class CallerTokens {

    private static final Logger LOG = Logger.getLogger(CallerTokens.class);
    private static final String BEARER = "Bearer ";

    /** The digests of the file's tokens, or null when they are fixed. */
    private final WatchedFile<List<byte[]>> file;
    /** The digests of the tokens when they are fixed. */
    private final List<byte[]> fixed;

    private CallerTokens(WatchedFile<List<byte[]>> file, List<byte[]> fixed) {
        this.file = file;
        this.fixed = fixed;
    }

    /** The tokens of a file, one per line, followed as the file changes. */
    public static CallerTokens watching(Path path, Duration checkInterval) {
        return new CallerTokens(new WatchedFile<>(path, content -> digests(path, content), List.of(), checkInterval,
                System::nanoTime), null);
    }

    /**
     * These tokens (blank ones are ignored).
     *
     * @throws IllegalArgumentException when none is left
     */
    public static CallerTokens of(Collection<String> tokens) {
        List<byte[]> digests = new ArrayList<>();
        for (String token : tokens) {
            if (!token.strip().isEmpty()) {
                digests.add(digest(token.strip()));
            }
        }
        if (digests.isEmpty()) {
            throw new IllegalArgumentException("no caller token: every one given is empty");
        }
        return new CallerTokens(null, List.copyOf(digests));
    }

    /** Whether the {@code Authorization} header carries one of the tokens. */
    public boolean accepts(String authorization) {
        List<byte[]> expected = file == null ? fixed : file.current();
        if (expected.isEmpty() || authorization == null
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] presented = digest(authorization.substring(BEARER.length()).strip());
        boolean accepted = false;
        for (byte[] token : expected) {
            // Every digest is compared, each in the same time: nothing tells which one matched.
            accepted |= MessageDigest.isEqual(token, presented);
        }
        return accepted;
    }

    /** The file's tokens, none for a blank file: not an error that would keep the old tokens. */
    private static List<byte[]> digests(Path path, byte[] content) {
        List<String> tokens = new String(content, StandardCharsets.UTF_8).lines().map(String::strip)
                .filter(line -> !line.isEmpty()).toList();
        if (tokens.isEmpty()) {
            LOG.warnf("caller token file %s is empty: no caller is accepted until it holds a token", path);
            return List.of();
        }
        return of(tokens).fixed;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return file != null ? "CallerTokens[" + file.path() + "]" : "CallerTokens[" + fixed.size() + "]";
    }
}
