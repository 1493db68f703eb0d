package dev.podidentity.identity;

import org.junit.jupiter.api.Test;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#mapping-configmap
class NamespaceGlobTest {

    @Test
    void matchesAsThePathMatcherGlobItReplacesOnNamespaceLikeStrings() {
        String[] patterns = {"team-*", "team-?", "t[a-c]am-*", "t[!a]am", "*-prod-*", "*a*b*", "a{b,c}*",
                "{x,y}-{1,2}", "*", "a\\*b", "**x", "[ab-]?*z"};
        Random random = new Random(16);
        String alphabet = "abcxyz12-*";
        for (String pattern : patterns) {
            PathMatcher reference = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            NamespaceGlob glob = NamespaceGlob.compile(pattern);
            for (int n = 0; n < 2_000; n++) {
                StringBuilder namespace = new StringBuilder();
                for (int length = random.nextInt(9); length > 0; length--) {
                    namespace.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                String text = n == 0 ? "team-a" : namespace.toString();
                assertEquals(reference.matches(Path.of(text)), glob.matches(text), pattern + " ~ " + text);
            }
        }
    }

    @Test
    void anyStringIsMatchedWithoutAnException() {
        NamespaceGlob glob = NamespaceGlob.compile("team-*");

        assertTrue(glob.matches("team-\u0000"));
        assertTrue(glob.matches("team-:<>|\\\uD800"));
        assertFalse(glob.matches("\u0000"));
        assertFalse(glob.matches(""));
    }

    @Test
    void malformedPatternsAreRefusedWhenRead() {
        for (String bad : new String[] {"a[b", "a{b", "a{b{c}}", "a\\"}) {
            assertThrows(IllegalArgumentException.class, () -> NamespaceGlob.compile(bad), bad);
        }
    }
}
