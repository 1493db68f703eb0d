package dev.podidentity.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#caller-authentication
class CallerTokensTest {

    @TempDir
    Path dir;

    @Test
    void acceptsOnlyTheBearerTokenInTheFile() throws Exception {
        CallerTokens token = CallerTokens.watching(Files.writeString(dir.resolve("t"), "s3cret\n"), Duration.ZERO);

        assertTrue(token.accepts("Bearer s3cret"));
        assertTrue(token.accepts("bearer s3cret"), "the scheme is case-insensitive");
        assertFalse(token.accepts("Bearer s3cret2"));
        assertFalse(token.accepts("Bearer "));
        assertFalse(token.accepts("Basic s3cret"));
        assertFalse(token.accepts(null));
    }

    @Test
    void everyTokenOfAFileOnePerLineIsAcceptedSoThatARotationHasNoWindow() throws Exception {
        Path file = Files.writeString(dir.resolve("t"), "old-token\n");
        CallerTokens tokens = CallerTokens.watching(file, Duration.ZERO);

        Files.writeString(file, "old-token\r\n  new-token  \n\n");
        assertTrue(tokens.accepts("Bearer old-token"), "the old token, while the API server still sends it");
        assertTrue(tokens.accepts("Bearer new-token"), "the new token, as soon as the API server sends it");

        Files.writeString(file, "new-token\n");
        assertFalse(tokens.accepts("Bearer old-token"), "the old token, once removed");
        assertTrue(tokens.accepts("Bearer new-token"));
    }

    @Test
    void fixedTokensAreAcceptedEachAndBlankOnesAreNot() {
        CallerTokens tokens = CallerTokens.of(List.of("one", " two\n", ""));

        assertTrue(tokens.accepts("Bearer one"));
        assertTrue(tokens.accepts("Bearer two"));
        assertFalse(tokens.accepts("Bearer "));
        assertFalse(tokens.accepts("Bearer three"));
        assertThrows(IllegalArgumentException.class, () -> CallerTokens.of(List.of(" ", "")));
    }

    @Test
    void aMissingOrEmptyFileLetsNoOneIn() throws Exception {
        assertFalse(CallerTokens.watching(dir.resolve("absent"), Duration.ZERO).accepts("Bearer "));
        CallerTokens empty = CallerTokens.watching(Files.writeString(dir.resolve("empty"), "  \n"), Duration.ZERO);
        assertFalse(empty.accepts("Bearer "));
        assertFalse(empty.accepts("Bearer  "));
    }

    @Test
    void aTokenFileEmptiedLaterLetsNoOneInEither() throws Exception {
        Path file = Files.writeString(dir.resolve("t"), "s3cret\n");
        CallerTokens token = CallerTokens.watching(file, Duration.ZERO);
        assertTrue(token.accepts("Bearer s3cret"));

        Files.writeString(file, " \n\t");

        assertFalse(token.accepts("Bearer s3cret"), "an emptied file must not keep the old token valid");
        assertFalse(token.accepts("Bearer "));

        Files.writeString(file, "rotated");
        assertTrue(token.accepts("Bearer rotated"), "a token written again is honoured");
    }
}
