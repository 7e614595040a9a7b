package io.odecast.model;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's version: the hash of everything that decides what it serves, namely its weights (their own hash,
 * {@link ParameterStore#version()}), its architecture and the serving part of its card: task, channels,
 * normalisation, fill value, time unit and scale, and the blend's baseline, members and weights. The card's
 * name, training and evaluation records, units and the blend's fit record are left out: re-evaluating a model
 * keeps its version, re-calibrating its blend or changing its normalisation makes a new one (which the running
 * services then load, and each stream's state is re-encoded under it).
 */
public final class ServingVersion {
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private ServingVersion() {
    }

    /** The version of weights hashing to {@code weights} served with {@code config} and {@code card}. */
    public static String of(String weights, ModelConfig config, ModelCard card) {
        return hash("odecast-serving-1", weights, served(config, card, true));
    }

    /**
     * What a stream's state depends on: the same as {@link #of} without the blend, which only mixes the model's
     * outputs. Two versions with the same encoding version give the same state for the same frames.
     */
    public static String encoding(String weights, ModelConfig config, ModelCard card) {
        return hash("odecast-encoding-1", weights, served(config, card, false));
    }

    private static Map<String, Object> served(ModelConfig config, ModelCard card, boolean withBlend) {
        Map<String, Object> served = new LinkedHashMap<>();
        served.put("architecture", config);
        served.put("task", card.task());
        served.put("channels", card.channels());
        served.put("mean", card.mean());
        served.put("std", card.std());
        served.put("fill_value", card.fillValue());
        served.put("time_unit", card.timeUnit());
        served.put("time_scale", card.timeScale());
        Blend blend = card.blend();
        if (withBlend && blend != null) {
            served.put("blend", Map.of("baseline", blend.baseline(), "members", blend.members(),
                    "weights", blend.weights()));
        }
        return served;
    }

    private static String hash(String kind, String weights, Map<String, Object> served) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((kind + "\n" + weights + "\n").getBytes(StandardCharsets.UTF_8));
            sha.update(CANONICAL.writeValueAsBytes(served));
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
