package dev.podidentity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our packages depend on each other one way only: the HTTP edge and the metrics on the core,
 * never the reverse (see Layout in the README). Every import, and every fully qualified
 * reference in code, of a {@code dev.podidentity} type from another package of ours is an edge
 * of the graph; a cycle fails the build, naming the packages and the files that make it.
 */
class PackageDependenciesTest {

    static final Path MAIN = Path.of("src/main/java");
    static final Pattern PACKAGE = Pattern.compile("^package\\s+dev\\.podidentity\\.([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** {@code dev.podidentity.<package>.<Type>}: in imports, static imports and qualified names alike. */
    static final Pattern REFERENCE = Pattern.compile("\\bdev\\.podidentity\\.([a-z][\\w.]*?)\\.([A-Z]\\w*)");
    static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    /** package → package it depends on → the files and types that make the edge. */
    static Map<String, Map<String, Set<String>>> graph(Path sources) {
        Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = COMMENT.matcher(Files.readString(file)).replaceAll(" ");
                Matcher declared = PACKAGE.matcher(code);
                if (!declared.find()) {
                    continue;
                }
                String from = declared.group(1);
                Map<String, Set<String>> edges = graph.computeIfAbsent(from, p -> new TreeMap<>());
                Matcher reference = REFERENCE.matcher(code.substring(declared.end()));
                while (reference.find()) {
                    if (!reference.group(1).equals(from)) {
                        edges.computeIfAbsent(reference.group(1), p -> new TreeSet<>())
                                .add(file.getFileName() + " uses " + reference.group(2));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** The shortest cycle, as {@code [a, b, a]} (the one that names the fewest edges to look at); empty when none. */
    static List<String> cycle(Map<String, Map<String, Set<String>>> graph) {
        List<String> shortest = List.of();
        for (String start : graph.keySet()) {
            List<String> back = shortestPath(graph, start, start);
            if (!back.isEmpty() && (shortest.isEmpty() || back.size() < shortest.size())) {
                shortest = back;
            }
        }
        return shortest;
    }

    /** Breadth first from {@code from}'s neighbours to {@code to}: {@code [from, …, to]}, or empty. */
    private static List<String> shortestPath(Map<String, Map<String, Set<String>>> graph, String from, String to) {
        Map<String, String> cameFrom = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>();
        queue.add(from);
        while (!queue.isEmpty()) {
            String node = queue.remove();
            for (String next : graph.getOrDefault(node, Map.of()).keySet()) {
                if (cameFrom.putIfAbsent(next, node) != null) {
                    continue;
                }
                if (next.equals(to)) {
                    List<String> path = new ArrayList<>(List.of(to));
                    for (String at = node; !at.equals(from); at = cameFrom.get(at)) {
                        path.add(0, at);
                    }
                    path.add(0, from);
                    return path;
                }
                queue.add(next);
            }
        }
        return List.of();
    }

    /** {@code a → b → a}, then each edge with the files that make it. */
    static String describe(List<String> cycle, Map<String, Map<String, Set<String>>> graph) {
        StringBuilder message = new StringBuilder("packages of dev.podidentity depend on each other in a cycle: ")
                .append(String.join(" → ", cycle))
                .append("\n(dependencies must point one way: move the type, or an interface of it, to the lower package)");
        for (int i = 0; i + 1 < cycle.size(); i++) {
            message.append("\n  ").append(cycle.get(i)).append(" → ").append(cycle.get(i + 1)).append(": ")
                    .append(graph.get(cycle.get(i)).get(cycle.get(i + 1)));
        }
        return message.toString();
    }

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        Map<String, Map<String, Set<String>>> graph = graph(MAIN);

        List<String> cycle = cycle(graph);

        assertTrue(graph.size() > 5, "the sources were found: " + graph.keySet());
        assertTrue(cycle.isEmpty(), () -> describe(cycle, graph));
    }

    @Test
    void theMutationCoreDependsOnNoOtherPackageOfOurs() {
        assertEquals(Map.of(), graph(MAIN).get("mutation"));
    }

    @Test
    void aCycleIsFoundAndNamedWithTheFilesThatMakeIt(@TempDir Path sources) throws IOException {
        write(sources, "a/First.java", "package dev.podidentity.a;\nimport dev.podidentity.b.Second;\nclass First {}");
        write(sources, "b/Second.java", "package dev.podidentity.b;\n// dev.podidentity.c.Ignored in a comment\n"
                + "class Second { dev.podidentity.c.Third third; }");
        write(sources, "c/Third.java", "package dev.podidentity.c;\nimport static dev.podidentity.a.First.X;\n"
                + "class Third {}");
        Map<String, Map<String, Set<String>>> graph = graph(sources);

        List<String> cycle = cycle(graph);

        assertEquals(List.of("a", "b", "c", "a"), cycle);
        assertEquals("""
                packages of dev.podidentity depend on each other in a cycle: a → b → c → a
                (dependencies must point one way: move the type, or an interface of it, to the lower package)
                  a → b: [First.java uses Second]
                  b → c: [Second.java uses Third]
                  c → a: [Third.java uses First]""", describe(cycle, graph));
    }

    private static void write(Path root, String file, String content) throws IOException {
        Path path = root.resolve("dev/podidentity").resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
    }
}
