package dev.podidentity.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

import dev.podidentity.admission.AdmissionRequest;
import dev.podidentity.admission.AdmissionReview;
import dev.podidentity.admission.AdmissionReviewAnswer;
import dev.podidentity.admission.AnswerLimits;
import dev.podidentity.admission.Decision;
import dev.podidentity.admission.Outcome;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.Resolution;
import dev.podidentity.mutation.DocumentTooLargeException;
import dev.podidentity.mutation.Mutation;
import dev.podidentity.mutation.PatchOp;
import dev.podidentity.mutation.PatchValue;
import dev.podidentity.mutation.PodMutator;
import dev.podidentity.mutation.PodView;
import dev.podidentity.serviceaccount.KubernetesNames;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The admission path of {@code AdmissionHandler} for a pod it mutates, with the patch and the answer
 * written through Jackson's {@link JsonGenerator} instead of the function's hand-written
 * {@code JsonBytes}: what the function would do with the plain library, to measure what the
 * hand-written writer buys ({@code fullPathJacksonWriter} against {@code fullPath}).
 *
 * <pre>{@code
 * var path = new JacksonWriterPath(resolver, decision -> { });
 * byte[] answer = path.handle(reviewReader.readValue(request)); // the bytes fullPath answers
 * }</pre>
 *
 * <p>Same steps and order as {@code AdmissionHandler.handle} on that path (request checks, name
 * checks, resolution, container limit, mutation, warnings, patch within its size limit, decision),
 * so that only the writing differs. Any other path (not a pod CREATE, a denial, nothing to inject, a
 * pod too large) is not measured here and fails loudly.
 */
public final class JacksonWriterPath {

    /** Lower-case hex in {@code \}{@code uXXXX} escapes, as {@code JsonBytes} writes them. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .build();

    private final IdentityResolver resolver;
    private final Consumer<Decision> decisions;
    private final AnswerLimits limits = AnswerLimits.defaults();

    public JacksonWriterPath(IdentityResolver resolver, Consumer<Decision> decisions) {
        this.resolver = resolver;
        this.decisions = decisions;
    }

    /** The answer's bytes, for a review of a pod that is mutated. */
    public byte[] handle(AdmissionReview review) {
        long started = System.nanoTime();
        AdmissionRequest request = AdmissionReview.request(review);
        PodView pod = request.pod();
        if (!request.isPodCreate() || request.namespace() == null || request.namespace().isEmpty() || pod == null
                || !KubernetesNames.isNamespace(request.namespace())
                || !KubernetesNames.isServiceAccountName(pod.serviceAccountName())) {
            throw unmeasured("not a valid pod CREATE");
        }
        Resolution resolution = resolver.resolve(request.namespace(), pod);
        if (resolution.denied() || resolution.identity() == null) {
            throw unmeasured("nothing to inject: " + resolution.reason());
        }
        String mode = resolution.identity().mode().metricName();
        int containers = pod.initContainers().size() + pod.containers().size();
        if (containers > limits.maxContainers()) {
            throw unmeasured("too many containers");
        }
        Mutation mutation = PodMutator.mutate(pod, resolution.identity());
        List<String> warnings = new ArrayList<>(resolution.warnings());
        warnings.addAll(mutation.warnings());
        if (!mutation.changesPod()) {
            throw unmeasured("already mutated");
        }
        byte[] patch = patch(mutation.ops(), limits.maxPatchBytes());
        decisions.accept(new Decision("bench", request.namespace(), pod.displayName(), pod.serviceAccountName(), mode,
                Outcome.MUTATED, resolution.reason(), System.nanoTime() - started,
                request.uid() == null ? "" : request.uid()));
        return answer(AdmissionReviewAnswer.of(request,
                AdmissionReviewAnswer.Response.patched(request.uid(), patch, warnings)));
    }

    private static IllegalStateException unmeasured(String why) {
        return new IllegalStateException("only the path of a mutated pod is measured: " + why);
    }

    /** The JSON Patch, as {@code JsonPatchWriter.write(ops, maxBytes)} writes it. */
    public static byte[] patch(List<PatchOp> ops, int maxBytes) {
        return write(json -> {
            json.writeStartArray();
            for (PatchOp op : ops) {
                json.writeStartObject();
                json.writeStringField("op", "add");
                json.writeStringField("path", op.path());
                json.writeFieldName("value");
                value(json, op.value());
                json.writeEndObject();
            }
            json.writeEndArray();
        }, maxBytes);
    }

    private static void value(JsonGenerator json, PatchValue value) throws IOException {
        switch (value) {
            case PatchValue.EnvVar env -> {
                json.writeStartObject();
                json.writeStringField("name", env.name());
                json.writeStringField("value", env.value());
                json.writeEndObject();
            }
            case PatchValue.FieldRefEnvVar env -> {
                json.writeStartObject();
                json.writeStringField("name", env.name());
                json.writeObjectFieldStart("valueFrom");
                json.writeObjectFieldStart("fieldRef");
                json.writeStringField("fieldPath", env.fieldPath());
                json.writeEndObject();
                json.writeEndObject();
                json.writeEndObject();
            }
            case PatchValue.VolumeMount mount -> {
                json.writeStartObject();
                json.writeStringField("name", mount.name());
                json.writeStringField("mountPath", mount.mountPath());
                json.writeBooleanField("readOnly", true);
                json.writeEndObject();
            }
            case PatchValue.TokenVolume volume -> {
                json.writeStartObject();
                json.writeStringField("name", volume.token().volumeName());
                json.writeObjectFieldStart("projected");
                json.writeArrayFieldStart("sources");
                json.writeStartObject();
                json.writeObjectFieldStart("serviceAccountToken");
                json.writeStringField("audience", volume.token().audience());
                json.writeNumberField("expirationSeconds", volume.token().expirationSeconds());
                json.writeStringField("path", volume.token().tokenPath());
                json.writeEndObject();
                json.writeEndObject();
                json.writeEndArray();
                json.writeEndObject();
                json.writeEndObject();
            }
            case PatchValue.Text text -> json.writeString(text.value());
            case PatchValue.Array array -> {
                json.writeStartArray();
                for (PatchValue item : array.items()) {
                    value(json, item);
                }
                json.writeEndArray();
            }
            case PatchValue.Member member -> {
                json.writeStartObject();
                json.writeFieldName(member.key());
                value(json, member.value());
                json.writeEndObject();
            }
        }
    }

    /** The answer, as {@code AdmissionReviewAnswerWriter.toBytes} writes it. */
    public static byte[] answer(AdmissionReviewAnswer answer) {
        return write(json -> {
            json.writeStartObject();
            writeIfPresent(json, "apiVersion", answer.apiVersion());
            writeIfPresent(json, "kind", answer.kind());
            AdmissionReviewAnswer.Response response = answer.response();
            if (response != null) {
                json.writeObjectFieldStart("response");
                writeIfPresent(json, "uid", response.uid());
                json.writeBooleanField("allowed", response.allowed());
                writeIfPresent(json, "patchType", response.patchType());
                if (response.patch() != null && response.patch().length > 0) {
                    json.writeFieldName("patch");
                    json.writeBinary(response.patch());
                }
                if (response.warnings() != null && !response.warnings().isEmpty()) {
                    json.writeArrayFieldStart("warnings");
                    for (String warning : response.warnings()) {
                        json.writeString(warning);
                    }
                    json.writeEndArray();
                }
                if (response.status() != null) {
                    json.writeObjectFieldStart("status");
                    json.writeNumberField("code", response.status().code());
                    json.writeStringField("message", response.status().message());
                    json.writeEndObject();
                }
                json.writeEndObject();
            }
            json.writeEndObject();
        }, Integer.MAX_VALUE);
    }

    private static void writeIfPresent(JsonGenerator json, String field, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            json.writeStringField(field, value);
        }
    }

    @FunctionalInterface
    private interface Body {
        void writeTo(JsonGenerator json) throws IOException;
    }

    /**
     * A generator over this thread's reusable buffer, and exactly the document's bytes copied out:
     * one allocation of the result's size per document besides the generator's own objects (its
     * buffers come from Jackson's per-thread recycler), as {@code JsonBytes} allocates. Writing
     * stops at the size limit, checked as the generator flushes.
     */
    private static byte[] write(Body body, int maxBytes) {
        Buffer buffer = BUFFERS.get();
        buffer.limit = maxBytes;
        try (JsonGenerator json = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
            body.writeTo(json);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        } finally {
            buffer.done();
        }
        byte[] document = buffer.result;
        buffer.result = null;
        return document;
    }

    private static final ThreadLocal<Buffer> BUFFERS = ThreadLocal.withInitial(Buffer::new);

    /** A growable byte array kept by a thread; the same bound on what it keeps as {@code JsonBytes}. */
    private static final class Buffer extends OutputStream {
        private static final int INITIAL = 4096;
        private static final int KEEP_AT_MOST = 64 * 1024;

        private byte[] bytes = new byte[INITIAL];
        private int count;
        private int limit;
        private byte[] result;

        @Override
        public void write(int b) {
            ensure(1);
            bytes[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, count, len);
            count += len;
        }

        @Override
        public void close() {
            result = Arrays.copyOf(bytes, count);
        }

        private void ensure(int more) {
            long needed = (long) count + more;
            if (needed > limit) {
                throw new DocumentTooLargeException(limit);
            }
            if (needed > bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(bytes.length * 2L, needed)));
            }
        }

        private void done() {
            count = 0;
            if (bytes.length > KEEP_AT_MOST) {
                bytes = new byte[INITIAL];
            }
        }
    }
}
