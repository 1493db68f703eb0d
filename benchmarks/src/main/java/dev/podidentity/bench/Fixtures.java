package dev.podidentity.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The AdmissionReviews the benchmarks run on: the bundled {@code small}, {@code typical} and
 * {@code large} fixtures, or, with {@code -Dfixtures=/some/dir}, the {@code *.json} files of that
 * directory (a fixture name is then a file name, with or without {@code .json}).
 */
public final class Fixtures {

    /** System property naming a directory of the user's own AdmissionReview files. */
    public static final String PROPERTY = "fixtures";

    private Fixtures() {
    }

    public static byte[] load(String name) {
        String dir = System.getProperty(PROPERTY);
        try {
            if (dir != null && !dir.isBlank()) {
                Path file = Path.of(dir, name);
                if (!Files.exists(file)) {
                    file = Path.of(dir, name + ".json");
                }
                return Files.readAllBytes(file);
            }
            try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name + ".json")) {
                if (in == null) {
                    throw new IllegalArgumentException("no bundled fixture " + name
                            + " (bundled: small, typical, large; or run with -D" + PROPERTY + "=DIR)");
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The names of the {@code *.json} files in {@code -Dfixtures=DIR}, sorted; empty when it is not set. */
    public static List<String> userFixtures() {
        String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isBlank()) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(Path.of(dir))) {
            List<String> names = files.filter(p -> p.getFileName().toString().endsWith(".json"))
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .toList();
            if (names.isEmpty()) {
                throw new IllegalArgumentException("no *.json files in " + dir);
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
