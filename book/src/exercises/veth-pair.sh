#!/bin/sh
# Connect two network namespaces with a veth pair and ping across it.
# Run it as root from the top of the repository, with the steps on PATH.
set -eu

# Two containers that only sleep, each in a network namespace of its own.
step4-net -n sleep 60 &
first_step=$!
step4-net -n sleep 60 &
second_step=$!
trap 'kill $first_step $second_step; wait' EXIT
sleep 1

# The host PIDs of the two children, the sleeps, from the kernel's list of
# each step's children.
first=$(cut -d ' ' -f 1 /proc/$first_step/task/$first_step/children)
second=$(cut -d ' ' -f 1 /proc/$second_step/task/$second_step/children)

# Create the pair with one end in each namespace. The host never sees
# either end, and both disappear with their namespaces.
ip link add veth-a netns "$first" type veth peer name veth-b netns "$second"

# Give each end an address and bring it up, from inside its namespace.
nsenter --target "$first" --net ip address add 10.200.0.1/24 dev veth-a
nsenter --target "$first" --net ip link set veth-a up
nsenter --target "$second" --net ip address add 10.200.0.2/24 dev veth-b
nsenter --target "$second" --net ip link set veth-b up

nsenter --target "$first" --net ip -brief address show veth-a
nsenter --target "$first" --net ping -c 1 -q 10.200.0.2
