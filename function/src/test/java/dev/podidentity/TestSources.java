package dev.podidentity;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

/**
 * The build's test sources, and which of them the build runs: a class runs when it declares a
 * test and its file name matches the {@code <includes>} of the plugin that runs its module's tests
 * (Surefire for function/ and benchmarks/, Failsafe for the end-to-end suite), as the module's
 * pom.xml or else the parent pom.xml configures them.
 *
 * <pre>{@code
 * for (Path file : TestSources.running(TestSources.ROOTS)) {
 *     System.out.println(file); // ../e2e/src/test/java/dev/podidentity/e2e/MutationIT.java, ...
 * }
 * }</pre>
 *
 * <p>Paths are relative to the function module, where its tests run.
 */
public final class TestSources {

    /** The plugin that runs a module's tests. */
    public enum Runner {
        SUREFIRE("maven-surefire-plugin"),
        FAILSAFE("maven-failsafe-plugin");

        final String artifactId;

        Runner(String artifactId) {
            this.artifactId = artifactId;
        }
    }

    /** A directory of test sources, the pom.xml of its module, and what runs its tests. */
    public record Root(Path directory, Path modulePom, Runner runner) {
    }

    public static final Path PARENT_POM = Path.of("../pom.xml");

    public static final List<Root> ROOTS = List.of(
            new Root(Path.of("src/test/java"), Path.of("pom.xml"), Runner.SUREFIRE),
            new Root(Path.of("../benchmarks/src/test/java"), Path.of("../benchmarks/pom.xml"), Runner.SUREFIRE),
            new Root(Path.of("../e2e/src/test/java"), Path.of("../e2e/pom.xml"), Runner.FAILSAFE));

    /** An annotation, at the start of a line, that makes a method a test of JUnit Jupiter, jqwik or Jazzer. */
    static final Pattern TEST_ANNOTATION = Pattern.compile(
            "(?m)^\\s*@(Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|Property|Example|FuzzTest)\\b");

    private TestSources() {
    }

    /** The Java files under the roots that declare tests and that their runner runs. */
    public static List<Path> running(List<Root> roots) throws IOException {
        List<Path> running = new ArrayList<>();
        for (Root root : roots) {
            List<String> includes = includes(root);
            for (Path file : javaFiles(root.directory())) {
                if (declaresTests(file) && matches(root.directory().relativize(file), includes)) {
                    running.add(file);
                }
            }
        }
        return running;
    }

    /** The Java files under the roots that declare tests but that their runner never runs. */
    public static List<Path> neverRun(List<Root> roots) throws IOException {
        List<Path> never = new ArrayList<>();
        for (Root root : roots) {
            List<String> includes = includes(root);
            for (Path file : javaFiles(root.directory())) {
                if (declaresTests(file) && !matches(root.directory().relativize(file), includes)) {
                    never.add(file);
                }
            }
        }
        return never;
    }

    /** Every Java file under the directory, sorted. */
    public static List<Path> javaFiles(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException(directory + " is not a directory: run from the function module");
        }
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
    }

    public static boolean declaresTests(Path file) throws IOException {
        return TEST_ANNOTATION.matcher(Files.readString(file)).find();
    }

    /** The file name patterns the root's runner includes: its module's own, else the parent's. */
    public static List<String> includes(Root root) throws IOException {
        List<String> own = Files.exists(root.modulePom()) ? includes(root.modulePom(), root.runner()) : List.of();
        return own.isEmpty() ? includes(PARENT_POM, root.runner()) : own;
    }

    /** The {@code <include>} patterns of the runner's configuration in this pom.xml, plugin management included. */
    public static List<String> includes(Path pom, Runner runner) throws IOException {
        Document document;
        try {
            document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
            throw new IOException(pom + " cannot be read: " + e.getMessage(), e);
        }
        List<String> includes = new ArrayList<>();
        NodeList plugins = document.getElementsByTagName("plugin");
        for (int i = 0; i < plugins.getLength(); i++) {
            Element plugin = (Element) plugins.item(i);
            if (!runner.artifactId.equals(childText(plugin, "artifactId"))) {
                continue;
            }
            for (Element configuration : children(plugin, "configuration")) {
                for (Element list : children(configuration, "includes")) {
                    for (Element include : children(list, "include")) {
                        includes.add(include.getTextContent().strip());
                    }
                }
            }
        }
        return includes;
    }

    /** Whether a path relative to its root matches one of Maven's include patterns. */
    public static boolean matches(Path relative, List<String> includes) {
        for (String include : includes) {
            // Maven's "**/" also matches no directory at all; the JDK's glob needs one.
            List<String> globs = include.startsWith("**/") ? List.of(include, include.substring(3)) : List.of(include);
            for (String glob : globs) {
                if (FileSystems.getDefault().getPathMatcher("glob:" + glob).matches(relative)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String childText(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0).getTextContent().strip();
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element element && element.getTagName().equals(name)) {
                found.add(element);
            }
        }
        return found;
    }
}
