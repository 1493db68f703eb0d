package dev.podidentity.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import dev.podidentity.admission.AdmissionJson;
import dev.podidentity.admission.AdmissionReview;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The heap a review holds once read: as a Jackson tree ({@code readTree}), and as the function
 * reads it ({@code AdmissionReviewReader} into a {@code PodView}). What the streaming reader is kept
 * for (benchmarks/README.md, "How the admission path stays fast").
 *
 * <pre>
 * java -XX:+UseSerialGC -Xmx1g -cp benchmarks/target/benchmarks.jar dev.podidentity.bench.ReaderHeap
 * </pre>
 *
 * <p>Prints, per review, its size and the bytes each reading keeps reachable, measured as the heap
 * in use after full collections before and after the reading (the typical fixture read 2,000 times,
 * so that one reading is well above the collector's noise).
 */
public final class ReaderHeap {

    private static final int BODY_LIMIT = 3 * 1024 * 1024;

    private ReaderHeap() {
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper trees = new ObjectMapper();
        ObjectReader reviews = new ObjectMapper().registerModule(AdmissionJson.module()).readerFor(AdmissionReview.class);
        String realistic = "{\"name\":\"app\",\"image\":\"registry.example.com/team/app:1.2.3\",\"env\":["
                + "{\"name\":\"LOG_LEVEL\",\"value\":\"info\"},{\"name\":\"AWS_REGION\",\"value\":\"eu-west-1\"}],"
                + "\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
                + "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}},"
                + "\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}]}";
        measure("3 MiB of empty containers", reviewOf("{}"), 1, trees, reviews);
        measure("3 MiB of realistic containers", reviewOf(realistic), 1, trees, reviews);
        measure("the typical fixture", Fixtures.load("typical"), 2000, trees, reviews);
    }

    private static void measure(String what, byte[] body, int copies, ObjectMapper trees, ObjectReader reviews)
            throws Exception {
        Object[] kept = new Object[copies];
        long before = heapInUse();
        for (int i = 0; i < copies; i++) {
            kept[i] = trees.readTree(body);
        }
        long tree = (heapInUse() - before) / copies;
        Reference.reachabilityFence(kept);
        kept = new Object[copies];
        before = heapInUse();
        for (int i = 0; i < copies; i++) {
            kept[i] = reviews.readValue(body);
        }
        long view = (heapInUse() - before) / copies;
        Reference.reachabilityFence(kept);
        System.out.printf(Locale.ROOT, "%-30s %,10d B: Jackson tree %,12d B (%4.1f x), streamed view %,12d B (%4.1f x)%n",
                what, body.length, tree, (double) tree / body.length, view, (double) view / body.length);
    }

    /** A review whose pod has as many copies of that container as fit in the body limit. */
    private static byte[] reviewOf(String container) {
        StringBuilder json = new StringBuilder("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                + "\"request\":{\"uid\":\"u\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
                + "\"operation\":\"CREATE\",\"namespace\":\"ns\",\"object\":{\"metadata\":{\"name\":\"p\"},"
                + "\"spec\":{\"containers\":[");
        String separator = "";
        while (json.length() + container.length() + 16 < BODY_LIMIT) {
            json.append(separator).append(container);
            separator = ",";
        }
        return json.append("]}}}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static long heapInUse() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
