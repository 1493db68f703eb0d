package dev.podidentity.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#caller-authentication
class CallerTokenTest {

    @TempDir
    Path dir;

    @Test
    void acceptsOnlyTheBearerTokenInTheFile() throws Exception {
        CallerToken token = CallerToken.watching(Files.writeString(dir.resolve("t"), "s3cret\n"), Duration.ZERO);

        assertTrue(token.accepts("Bearer s3cret"));
        assertTrue(token.accepts("bearer s3cret"), "the scheme is case-insensitive");
        assertFalse(token.accepts("Bearer s3cret2"));
        assertFalse(token.accepts("Bearer "));
        assertFalse(token.accepts("Basic s3cret"));
        assertFalse(token.accepts(null));
    }

    @Test
    void aMissingOrEmptyFileLetsNoOneIn() throws Exception {
        assertFalse(CallerToken.watching(dir.resolve("absent"), Duration.ZERO).accepts("Bearer "));
        CallerToken empty = CallerToken.watching(Files.writeString(dir.resolve("empty"), "  \n"), Duration.ZERO);
        assertFalse(empty.accepts("Bearer "));
        assertFalse(empty.accepts("Bearer  "));
    }

    @Test
    void aTokenFileEmptiedLaterLetsNoOneInEither() throws Exception {
        Path file = Files.writeString(dir.resolve("t"), "s3cret\n");
        CallerToken token = CallerToken.watching(file, Duration.ZERO);
        assertTrue(token.accepts("Bearer s3cret"));

        Files.writeString(file, " \n\t");

        assertFalse(token.accepts("Bearer s3cret"), "an emptied file must not keep the old token valid");
        assertFalse(token.accepts("Bearer "));

        Files.writeString(file, "rotated");
        assertTrue(token.accepts("Bearer rotated"), "a token written again is honoured");
    }
}
