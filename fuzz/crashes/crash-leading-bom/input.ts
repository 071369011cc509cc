﻿import { getSession } from "./session";
