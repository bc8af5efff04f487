"""Đăng nhập: sign in with a username and password; the session lasts across reloads and tabs."""
import streamlit as st

from indicators.web import sign_in

st.title("Đăng nhập")
sign_in.render()
