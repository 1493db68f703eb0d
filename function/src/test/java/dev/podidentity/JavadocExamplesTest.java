package dev.podidentity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The usage examples that open the Javadoc of the main types ({@code <pre>{@code ...}</pre>}) are
 * Java that compiles against the code as it is: an example that calls a method that does not
 * exist, or with the wrong arguments, fails the build instead of misleading its reader.
 *
 * <p>Each Java example is compiled (with the JDK's compiler, in memory) as the body of a method of
 * a class in the documented type's package, with the documented file's imports, the documented
 * type's nested types, and the common packages of {@link #PRELUDE} in scope. Conventions an
 * example follows:
 * <ul>
 *   <li>Names it uses without declaring them come from {@link #VOCABULARY}, which gives each one
 *       type for every example ({@code request} is always an {@code AdmissionRequest}); a name
 *       it declares itself hides the vocabulary's.</li>
 *   <li>A line that starts with an annotation or {@code static} declares a member
 *       ({@code @Inject Metrics metrics;}), placed in the class rather than the method.</li>
 *   <li>{@code ...} in code stands for code left out ({@code try { ... } finally { ... }}).</li>
 *   <li>An example that is not Java is recognised by its first line: a shell command
 *       ({@code curl}, {@code ./script}), {@code key=value} properties, or a JSON object.</li>
 * </ul>
 */
class JavadocExamplesTest {

    static final Path MAIN = Path.of("src/main/java");

    /**
     * Packages an example may use without importing them, besides every package of this project;
     * the documented file's own imports come first.
     */
    static final List<String> PRELUDE = List.of("java.io", "java.nio.charset", "java.nio.file", "java.time",
            "java.util", "java.util.concurrent", "java.util.function", "javax.net.ssl", "com.fasterxml.jackson.core",
            "com.fasterxml.jackson.databind", "com.github.benmanes.caffeine.cache", "io.fabric8.kubernetes.client",
            "jakarta.inject");

    /**
     * What a name an example uses without declaring it stands for: the same in every example. This
     * project's types are named simply, so that they may move between its packages.
     */
    static final Map<String, String> VOCABULARY = vocabulary(
            "answer", "AdmissionReviewAnswer",
            "body", "byte[]",
            "bodyBytes", "byte[]",
            "cause", "Throwable",
            "client", "ApiServerClient",
            "contentLength", "long",
            "decision", "Decision",
            "e", "io.fabric8.kubernetes.client.KubernetesClientException",
            "entry", "com.fasterxml.jackson.databind.JsonNode",
            "executor", "java.util.concurrent.ExecutorService",
            "fetched", "String",
            "guard", "ApiGuard",
            "httpRequest", "io.vertx.core.http.HttpServerRequest",
            "identity", "Identity",
            "keys", "java.util.List<java.security.PublicKey>",
            "meterRegistry", "io.micrometer.core.instrument.MeterRegistry",
            "metrics", "Metrics",
            "mutation", "Mutation",
            "objectMapper", "com.fasterxml.jackson.databind.ObjectMapper",
            "parser", "com.fasterxml.jackson.core.JsonParser",
            "pod", "PodView",
            "podJson", "String",
            "ref", "ServiceAccountRef",
            "registry", "ClusterRegistry",
            "request", "AdmissionRequest",
            "resolver", "IdentityResolver",
            "reviewBytes", "byte[]",
            "serviceAccounts", "ServiceAccountSource",
            "settings", "LookupSettings",
            "sslSession", "javax.net.ssl.SSLSession");

    static final Pattern EXAMPLE = Pattern.compile("<pre>\\{@code(.*?)}</pre>", Pattern.DOTALL);
    static final Pattern JAVADOC_LINE_START = Pattern.compile("(?m)^[ \\t]*\\*(?: |$)?");
    static final Pattern IMPORT = Pattern.compile("(?m)^import (?:static )?[\\w.]+(?:\\.\\*)?;");
    static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
    static final Pattern PUBLIC_TYPE = Pattern.compile(
            "(?m)^public (?:(?:final|abstract|sealed|non-sealed) )*(?:class|interface|record|enum|@interface) (\\w+)");
    static final Pattern PROPERTIES = Pattern.compile("[a-z][\\w.-]*\\.[\\w.\"-]+=.*");
    static final Pattern SHELL = Pattern.compile("(?:curl|kubectl|\\./)\\S*\\s.*");
    /** The packages of this project, as its sources declare them (after PACKAGE, which reads them). */
    static final Set<String> PROJECT_PACKAGES = projectPackages();

    /** One example: where it is, and its text as a reader sees it. */
    record Example(Path file, String packageName, String type, List<String> imports, int index, String text) {
        String where() {
            return MAIN.relativize(file) + " example " + index;
        }
    }

    @Test
    void everyJavaExampleCompilesAgainstTheCode(@TempDir Path classes) throws IOException {
        List<Example> java = new ArrayList<>();
        for (Example example : examples()) {
            if (kindOf(example.text()).equals("java")) {
                java.add(example);
            }
        }
        assertTrue(java.size() >= 60, "only " + java.size() + " Java examples found: is the extraction broken?");

        List<String> errors = compile(java, classes);

        if (!errors.isEmpty()) {
            fail(errors.size() + " compile error(s) in Javadoc examples:\n\n" + String.join("\n\n", errors));
        }
    }

    /** The check can fail: an example that calls a method with the wrong arguments is reported. */
    @Test
    void anExampleThatCallsAMethodWithTheWrongArgumentsIsReported(@TempDir Path classes) throws IOException {
        Path file = mainSources().stream().filter(f -> f.endsWith("AdmissionReviewAnswer.java")).findFirst()
                .orElseThrow();
        Matcher pkg = PACKAGE.matcher(Files.readString(file));
        assertTrue(pkg.find());
        Example wrong = new Example(file, pkg.group(1), "AdmissionReviewAnswer", importsOf(Files.readString(file)), 1,
                "AdmissionReviewAnswer.of(request, Response.allowed(request.uid()));\n");

        List<String> errors = compile(List.of(wrong), classes);

        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).startsWith(MAIN.relativize(file) + " example 1, line 1:"), errors.get(0));
        assertTrue(errors.get(0).contains("allowed"), errors.get(0));
    }

    /** The house rule the examples come from: every public type opens with one. */
    @Test
    void everyPublicTypeHasAnExample() throws IOException {
        List<String> without = new ArrayList<>();
        for (Path file : mainSources()) {
            String source = Files.readString(file);
            Matcher type = PUBLIC_TYPE.matcher(source);
            if (type.find() && !source.substring(0, type.start()).contains("<pre>{@code")) {
                without.add(MAIN.relativize(file).toString());
            }
        }
        assertEquals(List.of(), without, "public types whose Javadoc has no <pre>{@code ...}</pre> example");
    }

    @Test
    void examplesThatAreNotJavaAreRecognisedByTheirFirstLine() {
        assertEquals("shell", kindOf("curl -s localhost:8080/mutate\n"));
        assertEquals("shell", kindOf("./oidc-documents.sh --issuer https://x --key k --out site/\n"));
        assertEquals("properties", kindOf("pod-identity.on-lookup-failure=deny\n"));
        assertEquals("json", kindOf("{\"cluster\":\"default\"}\n"));
        assertEquals("java", kindOf("Outcome.MUTATED.label(); // \"mutated\"\n"));
        assertEquals("java", kindOf("var x = a.b=c;\n"));
    }

    static String kindOf(String text) {
        String first = text.strip().lines().findFirst().orElse("");
        if (SHELL.matcher(first).matches()) {
            return "shell";
        }
        if (text.strip().lines().map(String::strip)
                .allMatch(line -> line.isEmpty() || line.startsWith("#") || PROPERTIES.matcher(line).matches())) {
            return "properties";
        }
        if (first.startsWith("{\"")) {
            return "json";
        }
        return "java";
    }

    private static Set<String> projectPackages() {
        Set<String> packages = new TreeSet<>();
        try {
            for (Path file : mainSources()) {
                Matcher m = PACKAGE.matcher(Files.readString(file));
                if (m.find()) {
                    packages.add(m.group(1));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return packages;
    }

    static List<Path> mainSources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
    }

    static List<Example> examples() throws IOException {
        List<Example> examples = new ArrayList<>();
        for (Path file : mainSources()) {
            String source = Files.readString(file);
            Matcher pkg = PACKAGE.matcher(source);
            assertTrue(pkg.find(), file + " has no package");
            String type = file.getFileName().toString().replace(".java", "");
            Matcher block = EXAMPLE.matcher(source);
            int index = 0;
            while (block.find()) {
                String text = JAVADOC_LINE_START.matcher(block.group(1)).replaceAll("");
                text = text.startsWith("\n") ? text.substring(1) : text; // the rest of the <pre> line
                examples.add(new Example(file, pkg.group(1), type, importsOf(source), ++index, text));
            }
        }
        return examples;
    }

    static List<String> importsOf(String source) {
        List<String> imports = new ArrayList<>();
        Matcher m = IMPORT.matcher(source);
        while (m.find()) {
            imports.add(m.group());
        }
        return imports;
    }

    /** Compiles the examples together; returns one message per error, naming the example and its line. */
    static List<String> compile(List<Example> examples, Path classes) throws IOException {
        List<Set<String>> hidden = new ArrayList<>();
        examples.forEach(e -> hidden.add(new LinkedHashSet<>()));
        Set<Integer> failed = new TreeSet<>();
        List<String> errors = new ArrayList<>();
        // Rounds, because javac stops at the first syntax error of any unit: an example that failed
        // is left out of the next round, so that the others are still checked in full. And a name
        // an example declares itself hides the vocabulary's: javac says which ("already defined"),
        // and the example is compiled again without that parameter.
        for (int round = 0; round < 10; round++) {
            List<Unit> units = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                if (!failed.contains(i)) {
                    units.add(Unit.of(examples.get(i), i, hidden.get(i)));
                }
            }
            if (units.isEmpty()) {
                return errors;
            }
            Map<Integer, List<Diagnostic<? extends JavaFileObject>>> byUnit = new TreeMap<>();
            for (Diagnostic<? extends JavaFileObject> d : compileUnits(units, classes).getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR) {
                    continue;
                }
                if (!(d.getSource() instanceof Unit unit)) {
                    throw new AssertionError("javac failed outside the examples: " + d.getMessage(Locale.ROOT));
                }
                byUnit.computeIfAbsent(unit.index, i -> new ArrayList<>()).add(d);
            }
            if (byUnit.isEmpty()) {
                return errors;
            }
            for (var unitErrors : byUnit.entrySet()) {
                int index = unitErrors.getKey();
                boolean renamed = false;
                for (Diagnostic<? extends JavaFileObject> d : unitErrors.getValue()) {
                    String name = alreadyDefined(d);
                    renamed |= name != null && VOCABULARY.containsKey(name) && hidden.get(index).add(name);
                }
                if (!renamed) {
                    failed.add(index);
                    unitErrors.getValue().forEach(d -> errors.add(((Unit) d.getSource()).describe(d)));
                }
            }
        }
        throw new AssertionError("the examples did not settle in 10 rounds of compilation: " + errors);
    }

    private static String alreadyDefined(Diagnostic<? extends JavaFileObject> d) {
        if (!"compiler.err.already.defined".equals(d.getCode())) {
            return null;
        }
        Matcher m = Pattern.compile("variable (\\w+) is already defined").matcher(d.getMessage(Locale.ROOT));
        return m.find() ? m.group(1) : null;
    }

    private static DiagnosticCollector<JavaFileObject> compileUnits(List<Unit> units, Path classes) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "tests need a JDK, not a JRE");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        // Surefire may hand the JVM a one-jar manifest class path; it names the real one here.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT,
                StandardCharsets.UTF_8)) {
            List<String> options = List.of("-proc:none", "-nowarn", "-Xlint:none", "-classpath", classPath,
                    "-d", classes.toString());
            javac.getTask(null, files, diagnostics, options, null, units).call();
        }
        return diagnostics;
    }

    /** The class one example is compiled in. */
    static final class Unit extends SimpleJavaFileObject {
        final Example example;
        final int index;
        final String source;
        /** For each line of the source (from 1), the example's line there, or 0. */
        final int[] exampleLines;

        private Unit(Example example, int index, String source, int[] exampleLines) {
            super(URI.create("string:///" + example.packageName().replace('.', '/') + "/" + className(example, index)
                    + ".java"), Kind.SOURCE);
            this.example = example;
            this.index = index;
            this.source = source;
            this.exampleLines = exampleLines;
        }

        static String className(Example example, int index) {
            return "JavadocExample_" + example.type() + "_" + example.index() + "_" + index;
        }

        static Unit of(Example example, int index, Set<String> hidden) {
            List<String> members = new ArrayList<>();
            List<Integer> memberLines = new ArrayList<>();
            List<String> statements = new ArrayList<>();
            List<Integer> statementLines = new ArrayList<>();
            String[] lines = elided(example.text()).split("\n", -1);
            boolean inMember = false;
            for (int n = 0; n < lines.length; n++) {
                String s = lines[n].strip();
                // A member starts with an annotation or "static" and ends with its ';'.
                if (!inMember && (s.startsWith("@") || s.startsWith("static "))) {
                    inMember = true;
                }
                (inMember ? members : statements).add(lines[n]);
                (inMember ? memberLines : statementLines).add(n + 1);
                if (inMember && s.endsWith(";")) {
                    inMember = false;
                }
            }
            String code = String.join("\n", members) + "\n" + String.join("\n", statements);
            List<String> parameters = new ArrayList<>();
            for (Map.Entry<String, String> word : VOCABULARY.entrySet()) {
                if (!hidden.contains(word.getKey()) && usesName(code, word.getKey())) {
                    parameters.add(word.getValue() + " " + word.getKey());
                }
            }
            List<String> src = new ArrayList<>();
            List<Integer> map = new ArrayList<>();
            src.add("package " + example.packageName() + ";");
            src.addAll(example.imports());
            // Nested types as the example sees them from its own type: Response in AdmissionReviewAnswer.
            src.add("import " + example.packageName() + "." + example.type() + ".*;");
            PRELUDE.forEach(p -> src.add("import " + p + ".*;"));
            PROJECT_PACKAGES.forEach(p -> src.add("import " + p + ".*;"));
            src.add("@SuppressWarnings(\"all\") abstract class " + className(example, index) + " {");
            while (map.size() < src.size()) {
                map.add(0);
            }
            src.addAll(members);
            map.addAll(memberLines);
            src.add("void example(" + String.join(", ", parameters) + ") throws Exception {");
            map.add(0);
            src.addAll(statements);
            map.addAll(statementLines);
            src.add("}}");
            map.add(0);
            return new Unit(example, index, String.join("\n", src) + "\n",
                    map.stream().mapToInt(Integer::intValue).toArray());
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return source;
        }

        String describe(Diagnostic<? extends JavaFileObject> d) {
            long line = d.getLineNumber();
            int exampleLine = line >= 1 && line <= exampleLines.length ? exampleLines[(int) line - 1] : 0;
            return example.where() + ", line " + exampleLine + ": " + d.getMessage(Locale.ROOT) + "\n"
                    + indent(example.text());
        }
    }

    /** Whether the code (not its comments or strings) uses the name. */
    static boolean usesName(String code, String name) {
        return Pattern.compile("(?<![\\w.])" + Pattern.quote(name) + "\\b").matcher(codeOnly(code)).find();
    }

    /** {@code ...} in code becomes a comment: code left out of the example. */
    static String elided(String text) {
        StringBuilder out = new StringBuilder();
        scan(text, (c, code) -> out.append(c), (start) -> out.append("/*...*/"));
        return out.toString();
    }

    /** The text with comments and string contents blanked, so only code is searched. */
    static String codeOnly(String text) {
        StringBuilder out = new StringBuilder();
        scan(text, (c, code) -> out.append(code || c == '\n' ? c : ' '), (start) -> out.append("   "));
        return out.toString();
    }

    interface CharSink {
        void accept(char c, boolean code);
    }

    interface Elision {
        void at(int index);
    }

    /** Walks Java text, telling code apart from comments, strings, characters and text blocks. */
    static void scan(String text, CharSink sink, Elision elision) {
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (text.startsWith("//", i)) {
                int end = text.indexOf('\n', i);
                end = end < 0 ? text.length() : end;
                for (; i < end; i++) {
                    sink.accept(text.charAt(i), false);
                }
            } else if (text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                end = end < 0 ? text.length() : end + 2;
                for (; i < end; i++) {
                    sink.accept(text.charAt(i), false);
                }
            } else if (text.startsWith("\"\"\"", i)) {
                int end = text.indexOf("\"\"\"", i + 3);
                end = end < 0 ? text.length() : end + 3;
                for (int j = 0; j < 3; j++) {
                    sink.accept(text.charAt(i++), true);
                }
                for (; i < end - 3; i++) {
                    sink.accept(text.charAt(i), false);
                }
                for (; i < end; i++) {
                    sink.accept(text.charAt(i), true);
                }
            } else if (c == '"' || c == '\'') {
                sink.accept(c, true);
                i++;
                for (; i < text.length() && text.charAt(i) != c && text.charAt(i) != '\n'; i++) {
                    if (text.charAt(i) == '\\' && i + 1 < text.length()) {
                        sink.accept(text.charAt(i++), false);
                    }
                    sink.accept(text.charAt(i), false);
                }
                if (i < text.length()) {
                    sink.accept(text.charAt(i++), true);
                }
            } else if (text.startsWith("...", i)) {
                elision.at(i);
                i += 3;
            } else {
                sink.accept(c, true);
                i++;
            }
        }
    }

    private static String indent(String text) {
        return text.strip().lines().map(l -> "    | " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    private static Map<String, String> vocabulary(String... namesAndTypes) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndTypes.length; i += 2) {
            map.put(namesAndTypes[i], namesAndTypes[i + 1]);
        }
        return map;
    }
}
