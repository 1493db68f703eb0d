import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Merges the dependency jars of a Quarkus aot-jar into one jar, as the image ships them.
 *
 * <pre>{@code
 * java knative/MergeLibs.java knative/target/image/root/deployments
 * }</pre>
 *
 * <p>Why: with the AOT cache, classes no longer come from the jars, but every jar on the class path
 * still costs the JVM at each start: it opens it, reads its manifest and builds its protection domain
 * while it loads the cached classes, before {@code main}, and every resource or service lookup walks
 * the jars one by one. The aot-jar puts ~170 of them on the class path. One jar instead made the first
 * patched answer ~50 ms sooner on one CPU and on two, with 4 MiB less RSS (benchmarks/README.md,
 * "Cold start"). Quarkus's own single jar (the uber-jar) starts another launcher, without the
 * aot-jar's: it was slower on two CPUs and 10 MiB larger.
 *
 * <p>What it does, in the directory holding {@code quarkus-run.jar}: every {@code lib/...} entry of
 * that jar's {@code Class-Path} is merged, in class-path order, into {@code lib/main/dependencies.jar},
 * the entries are deleted, and the {@code Class-Path} names the merged jar in their place, after the
 * application's own jars ({@code quarkus/}, {@code app/}), as they were. The aot-jar launcher finds
 * {@code quarkus/quarkus-application.dat} two directories above its own jar, which therefore stays two
 * directories deep. The class path's meaning is kept:
 * <ul>
 * <li>an entry that several jars hold comes from the first, as the class path would serve it;</li>
 * <li>{@code META-INF/services} files are concatenated in class-path order, as {@code ServiceLoader}
 * reads them all;</li>
 * <li>licence and notice files are kept for every jar, under
 * {@code META-INF/licenses/<jar file name>/};</li>
 * <li>the merged jar is multi-release if any input is; a versioned entry of a multi-release jar that
 * would take the place of a class an earlier jar serves stops the merge (the class path would have
 * served the earlier one), and versioned entries of jars that are not multi-release are left out
 * (the JVM never reads them);</li>
 * <li>jar signatures and {@code INDEX.LIST} are left out: they describe their own jar only; so are
 * {@code module-info.class} files, which mean nothing on the class path.</li>
 * </ul>
 *
 * <p>The output depends only on the inputs: entries in class-path order with their own times, the
 * merged jar's modification time the newest input's, {@code quarkus-run.jar}'s kept. The image's
 * layers stay reproducible, and the dependencies stay in a layer of their own.
 */
public final class MergeLibs {

    static final String MERGED = "lib/main/dependencies.jar";
    private static final String SERVICES = "META-INF/services/";
    private static final String VERSIONS = "META-INF/versions/";

    private MergeLibs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java MergeLibs.java <directory holding quarkus-run.jar>");
            System.exit(2);
        }
        try {
            System.out.println(merge(Path.of(args[0])));
        } catch (IllegalStateException e) {
            System.err.println("merge-libs: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Merges the dependencies of the aot-jar in {@code dir}; returns a one-line summary. */
    static String merge(Path dir) throws IOException {
        Path runner = dir.resolve("quarkus-run.jar");
        Manifest manifest;
        try (JarFile jar = new JarFile(runner.toFile())) {
            manifest = jar.getManifest();
        }
        if (manifest == null || manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH) == null) {
            throw new IllegalStateException(runner + " has no Class-Path: not an aot-jar");
        }
        List<String> keep = new ArrayList<>();
        List<String> libs = new ArrayList<>();
        for (String entry : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH).trim().split("\\s+")) {
            (entry.startsWith("lib/") ? libs : keep).add(entry);
        }
        if (libs.isEmpty() || libs.equals(List.of(MERGED))) {
            throw new IllegalStateException(runner + " names no dependency jars to merge (merged already?)");
        }
        Path merged = dir.resolve(MERGED);
        Merge merge = new Merge();
        FileTime newest = FileTime.fromMillis(0);
        for (String lib : libs) {
            Path jar = dir.resolve(lib);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(runner + " names " + lib + ", which is not a file");
            }
            merge.add(jar);
            FileTime time = Files.getLastModifiedTime(jar);
            newest = time.compareTo(newest) > 0 ? time : newest;
        }
        Path partial = merged.resolveSibling(merged.getFileName() + ".partial");
        Files.createDirectories(merged.getParent());
        try (OutputStream out = Files.newOutputStream(partial)) {
            merge.writeTo(out);
        }
        for (String lib : libs) {
            Files.delete(dir.resolve(lib));
        }
        for (String lib : libs) { // directories the merge emptied (lib/boot)
            Path parent = dir.resolve(lib).getParent();
            if (Files.isDirectory(parent)) {
                try (var left = Files.list(parent)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(parent);
                    }
                }
            }
        }
        Files.move(partial, merged);
        Files.setLastModifiedTime(merged, newest);

        keep.add(MERGED);
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", keep));
        rewriteManifest(runner, manifest);
        return "merge-libs: " + libs.size() + " jars into " + MERGED + " (" + merge.entries.size() + " entries, "
                + merge.services.size() + " service files" + (merge.multiRelease ? ", multi-release" : "") + ")";
    }

    /** The merged jar's content, gathered jar by jar in class-path order. */
    private static final class Merge {
        /** Entry name to its content and the jar that supplied it; insertion order is the output's order. */
        final Map<String, Entry> entries = new LinkedHashMap<>();
        final Map<String, ByteArrayOutputStream> services = new TreeMap<>();
        boolean multiRelease;

        void add(Path jarPath) throws IOException {
            String jarName = jarPath.getFileName().toString();
            try (JarFile jar = new JarFile(jarPath.toFile(), false, ZipFile.OPEN_READ, JarFile.runtimeVersion())) {
                boolean jarIsMultiRelease = jar.isMultiRelease();
                multiRelease |= jarIsMultiRelease;
                for (Enumeration<? extends ZipEntry> all = jar.entries(); all.hasMoreElements();) {
                    ZipEntry entry = all.nextElement();
                    String name = entry.getName();
                    if (name.equals(JarFile.MANIFEST_NAME) || isSignatureOrIndex(name) || isModuleDescriptor(name)) {
                        continue;
                    }
                    if (name.startsWith(VERSIONS)) {
                        if (!jarIsMultiRelease) {
                            continue;
                        }
                        if (!entry.isDirectory()) {
                            checkVersioned(name, jarName);
                        }
                    }
                    if (name.startsWith(SERVICES) && !entry.isDirectory()) {
                        ByteArrayOutputStream service = services.computeIfAbsent(name, n -> new ByteArrayOutputStream());
                        byte[] bytes = read(jar, entry);
                        service.write(bytes);
                        if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
                            service.write('\n');
                        }
                        continue;
                    }
                    if (isLicence(name)) {
                        name = "META-INF/licenses/" + jarName + "/" + name.substring("META-INF/".length());
                    }
                    if (!entries.containsKey(name)) {
                        entries.put(name, new Entry(entry.isDirectory() ? new byte[0] : read(jar, entry), entry.getTime(),
                                jarName));
                    }
                }
            }
        }

        /**
         * A versioned class must not replace a class that an earlier jar serves: on the class path the
         * earlier jar's would win, in a merged multi-release jar the versioned one would.
         */
        private void checkVersioned(String name, String jarName) {
            String rest = name.substring(VERSIONS.length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                return;
            }
            String base = rest.substring(slash + 1);
            Entry earlier = entries.get(base);
            if (earlier != null && !earlier.jar().equals(jarName)) {
                throw new IllegalStateException(name + " of " + jarName + " would replace " + base + " of "
                        + earlier.jar() + ", which comes first on the class path");
            }
        }

        void writeTo(OutputStream target) throws IOException {
            try (ZipOutputStream zip = new ZipOutputStream(target)) {
                Manifest manifest = new Manifest();
                manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
                if (multiRelease) {
                    manifest.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true");
                }
                ByteArrayOutputStream manifestBytes = new ByteArrayOutputStream();
                manifest.write(manifestBytes);
                long first = entries.values().stream().mapToLong(Entry::time).filter(t -> t > 0).min().orElse(0);
                put(zip, "META-INF/", new byte[0], first);
                put(zip, JarFile.MANIFEST_NAME, manifestBytes.toByteArray(), first);
                for (Map.Entry<String, Entry> entry : entries.entrySet()) {
                    if (!entry.getKey().equals("META-INF/")) {
                        put(zip, entry.getKey(), entry.getValue().bytes(), entry.getValue().time());
                    }
                }
                for (Map.Entry<String, ByteArrayOutputStream> service : services.entrySet()) {
                    put(zip, service.getKey(), service.getValue().toByteArray(), first);
                }
            }
        }
    }

    /** One entry of the merged jar, and the jar it came from. */
    private record Entry(byte[] bytes, long time, String jar) {
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes, long time) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTime(time);
        zip.putNextEntry(entry);
        zip.write(bytes);
        zip.closeEntry();
    }

    private static byte[] read(ZipFile jar, ZipEntry entry) throws IOException {
        try (InputStream in = jar.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    private static boolean isSignatureOrIndex(String name) {
        if (!name.startsWith("META-INF/") || name.indexOf('/', "META-INF/".length()) >= 0) {
            return false;
        }
        String file = name.substring("META-INF/".length()).toUpperCase(java.util.Locale.ROOT);
        return file.equals("INDEX.LIST") || file.startsWith("SIG-") || file.endsWith(".SF") || file.endsWith(".RSA")
                || file.endsWith(".DSA") || file.endsWith(".EC");
    }

    /** module-info.class describes a module; on the class path, where the merged jar is, it means nothing. */
    private static boolean isModuleDescriptor(String name) {
        return name.equals("module-info.class") || name.endsWith("/module-info.class");
    }

    private static boolean isLicence(String name) {
        if (!name.startsWith("META-INF/") || name.endsWith("/")) {
            return false;
        }
        String file = name.substring(name.lastIndexOf('/') + 1).toUpperCase(java.util.Locale.ROOT);
        return file.startsWith("LICENSE") || file.startsWith("LICENCE") || file.startsWith("NOTICE");
    }

    /** Writes the runner jar again with the new manifest, its other entries and times as they were. */
    private static void rewriteManifest(Path runner, Manifest manifest) throws IOException {
        FileTime modified = Files.getLastModifiedTime(runner);
        Path partial = runner.resolveSibling(runner.getFileName() + ".partial");
        try (ZipFile jar = new ZipFile(runner.toFile());
                ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(partial))) {
            for (Enumeration<? extends ZipEntry> all = jar.entries(); all.hasMoreElements();) {
                ZipEntry entry = all.nextElement();
                byte[] bytes;
                if (entry.getName().equals(JarFile.MANIFEST_NAME)) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    manifest.write(out);
                    bytes = out.toByteArray();
                } else {
                    bytes = entry.isDirectory() ? new byte[0] : read(jar, entry);
                }
                put(zip, entry.getName(), bytes, entry.getTime());
            }
        }
        Files.move(partial, runner, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(runner, modified);
    }
}
