package io.odecast.cli;

public final class Odecast {
    public static void main(String[] args) {
        System.out.println("odecast");
    }
}
