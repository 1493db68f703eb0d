package dev.podidentity.identity;

import java.util.ArrayList;
import java.util.List;

/**
 * A namespace pattern of the mapping ConfigMap, in the glob syntax of
 * {@link java.nio.file.FileSystem#getPathMatcher}: {@code *} any characters, {@code ?} one,
 * {@code [abc]}, {@code [a-z]} and {@code [!a]} one of a set (or not), {@code {a,b}} either
 * alternative, {@code \} quotes the next character. Matched by hand over the characters of any
 * string: a namespace from a request can hold characters (NUL, {@code :}) that a file-system path
 * matcher refuses with an exception.
 *
 * <pre>{@code
 * NamespaceGlob glob = NamespaceGlob.compile("team-[ab]*");
 * glob.matches("team-alpha"); // true
 * glob.matches("team-c");     // false
 * }</pre>
 */
final class NamespaceGlob {

    /** One element of a pattern: a literal, {@code ?}, a class or {@code *}. */
    private sealed interface Part {
    }

    private record Literal(char c) implements Part {
    }

    private record AnyOne() implements Part {
    }

    private record AnyRun() implements Part {
    }

    /** {@code [...]}: ranges as pairs of chars, {@code lo0, hi0, lo1, hi1, ...}. */
    private record CharClass(char[] ranges, boolean negated) implements Part {
        boolean matches(char c) {
            boolean in = false;
            for (int i = 0; i < ranges.length && !in; i += 2) {
                in = c >= ranges[i] && c <= ranges[i + 1];
            }
            return in != negated;
        }
    }

    /** Each {@code {a,b}} group multiplies the alternatives; a namespace matches if any does. */
    private final List<Part[]> alternatives;

    private NamespaceGlob(List<Part[]> alternatives) {
        this.alternatives = alternatives;
    }

    /** Whether the pattern has any glob character, so it is not a plain namespace. */
    static boolean isGlob(String pattern) {
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == '{') {
                return true;
            }
        }
        return false;
    }

    /**
     * @throws IllegalArgumentException for an unclosed {@code [} or <code>{</code>, a nested group or
     *     a trailing {@code \}
     */
    static NamespaceGlob compile(String pattern) {
        List<List<Part>> alternatives = new ArrayList<>();
        alternatives.add(new ArrayList<>());
        List<List<Part>> groupOptions = null; // inside {...}
        List<Part> current = new ArrayList<>();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\') {
                if (++i == pattern.length()) {
                    throw new IllegalArgumentException("trailing \\ in '" + pattern + "'");
                }
                current.add(new Literal(pattern.charAt(i)));
            } else if (c == '[') {
                int close = pattern.indexOf(']', i + 2);
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed [ in '" + pattern + "'");
                }
                current.add(charClass(pattern.substring(i + 1, close)));
                i = close;
            } else if (c == '*') {
                current.add(new AnyRun());
            } else if (c == '?') {
                current.add(new AnyOne());
            } else if (c == '{') {
                if (groupOptions != null) {
                    throw new IllegalArgumentException("nested { in '" + pattern + "'");
                }
                append(alternatives, current);
                groupOptions = new ArrayList<>();
                current = new ArrayList<>();
            } else if (c == ',' && groupOptions != null) {
                groupOptions.add(current);
                current = new ArrayList<>();
            } else if (c == '}' && groupOptions != null) {
                groupOptions.add(current);
                List<List<Part>> grown = new ArrayList<>();
                for (List<Part> option : groupOptions) {
                    for (List<Part> before : alternatives) {
                        List<Part> joined = new ArrayList<>(before);
                        joined.addAll(option);
                        grown.add(joined);
                    }
                }
                alternatives = grown;
                groupOptions = null;
                current = new ArrayList<>();
            } else {
                current.add(new Literal(c));
            }
        }
        if (groupOptions != null) {
            throw new IllegalArgumentException("unclosed { in '" + pattern + "'");
        }
        append(alternatives, current);
        return new NamespaceGlob(alternatives.stream().map(a -> a.toArray(Part[]::new)).toList());
    }

    private static void append(List<List<Part>> alternatives, List<Part> parts) {
        alternatives.forEach(a -> a.addAll(parts));
    }

    private static CharClass charClass(String body) {
        boolean negated = body.startsWith("!");
        String set = negated ? body.substring(1) : body;
        StringBuilder ranges = new StringBuilder();
        for (int i = 0; i < set.length(); i++) {
            char lo = set.charAt(i);
            char hi = lo;
            if (i + 2 < set.length() && set.charAt(i + 1) == '-') {
                hi = set.charAt(i + 2);
                i += 2;
            }
            ranges.append(lo).append(hi);
        }
        return new CharClass(ranges.toString().toCharArray(), negated);
    }

    boolean matches(String namespace) {
        for (Part[] parts : alternatives) {
            if (matches(parts, namespace)) {
                return true;
            }
        }
        return false;
    }

    /** Linear in the text for each star: on a mismatch, the last star takes one more character. */
    private static boolean matches(Part[] parts, String text) {
        int p = 0;
        int t = 0;
        int starPart = -1;
        int starText = 0;
        while (t < text.length()) {
            if (p < parts.length && !(parts[p] instanceof AnyRun) && matchesOne(parts[p], text.charAt(t))) {
                p++;
                t++;
            } else if (p < parts.length && parts[p] instanceof AnyRun) {
                starPart = p++;
                starText = t;
            } else if (starPart >= 0) {
                p = starPart + 1;
                t = ++starText;
            } else {
                return false;
            }
        }
        while (p < parts.length && parts[p] instanceof AnyRun) {
            p++;
        }
        return p == parts.length;
    }

    private static boolean matchesOne(Part part, char c) {
        return switch (part) {
            case Literal literal -> literal.c() == c;
            case AnyOne any -> true;
            case CharClass set -> set.matches(c);
            case AnyRun run -> false;
        };
    }
}
